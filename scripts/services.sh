#!/usr/bin/env bash
# Starts, stops or describes the local PostgreSQL and Apache Kafka that tests and development use.
#
#   scripts/services.sh up     start both (reusing whatever already runs) and write .services/env
#   scripts/services.sh down   stop what this script started
#   scripts/services.sh env    print the settings to export
#   scripts/services.sh browser   install Debian's Chromium and ChromeDriver if missing (up does)
#   scripts/services.sh kafka-down | kafka-up   stop or start this project's own broker only
#   scripts/services.sh postgres-down | postgres-up   the same for this project's PostgreSQL
#
# PostgreSQL comes from Debian's packages (installed if missing) as a cluster of its own on
# 127.0.0.1:$PG_PORT. Kafka 4.x runs in KRaft mode (one combined broker and controller) from the
# jars on Maven Central, fetched once with Maven into .services/kafka/libs, on 127.0.0.1:$KAFKA_PORT.
# Servers named by SALESLEDGER_DATABASE_URL / SALESLEDGER_KAFKA_BOOTSTRAP are used as they are.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
STATE=${SALESLEDGER_SERVICES_DIR:-$ROOT/.services}
PG_PORT=${SALESLEDGER_PG_PORT:-55432}
PG_CLUSTER=salesledger
PG_USER=salesledger
PG_PASSWORD=salesledger
PG_DB=salesledger
KAFKA_PORT=${SALESLEDGER_KAFKA_PORT:-59092}
CONTROLLER_PORT=${SALESLEDGER_KAFKA_CONTROLLER_PORT:-59093}
KAFKA_DIR=$STATE/kafka
ENV_FILE=$STATE/env

log() { echo "services: $*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for_port() { # port seconds what
  local i
  for ((i = 0; i < $2 * 5; i++)); do
    port_open "$1" && return 0
    sleep 0.2
  done
  log "$3 did not open port $1 within $2 s"
  return 1
}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# --- the browser of the dashboard's test ---

# Debian's Chromium and its ChromeDriver (/usr/bin/chromium, /usr/bin/chromedriver): the
# selenium test drives them headless; a test tool's own browser download is refused here.
install_browser() {
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    log "installing Chromium and ChromeDriver from Debian's packages"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
}

# --- PostgreSQL ---

pg_version() { ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1; }

install_postgres() {
  if [ -z "$(pg_version)" ] || ! command -v pg_createcluster >/dev/null; then
    log "installing PostgreSQL from Debian's packages"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql >/dev/null
  fi
}

postgres_up() {
  if [ -n "${SALESLEDGER_DATABASE_URL:-}" ]; then
    log "using PostgreSQL at SALESLEDGER_DATABASE_URL"
    DATABASE_URL=$SALESLEDGER_DATABASE_URL
    return
  fi
  DATABASE_URL="postgresql://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DB"
  if ! port_open "$PG_PORT"; then
    install_postgres
    local version
    version=$(pg_version)
    if ! pg_lsclusters -h | awk '{print $2}' | grep -qx "$PG_CLUSTER"; then
      log "creating PostgreSQL $version cluster '$PG_CLUSTER' on port $PG_PORT"
      as_root pg_createcluster "$version" "$PG_CLUSTER" -p "$PG_PORT" >/dev/null -- \
        --auth-local=peer --auth-host=scram-sha-256
      as_root sh -c "echo \"listen_addresses = '127.0.0.1'\" >> /etc/postgresql/$version/$PG_CLUSTER/postgresql.conf"
      as_root sh -c "echo 'fsync = on' >> /etc/postgresql/$version/$PG_CLUSTER/postgresql.conf"
    fi
    log "starting PostgreSQL cluster '$PG_CLUSTER'"
    as_root pg_ctlcluster "$version" "$PG_CLUSTER" start
    wait_for_port "$PG_PORT" 30 PostgreSQL
  fi
  ensure_database
}

psql_admin() { as_root su postgres -c "psql -p $PG_PORT -v ON_ERROR_STOP=1 -qtA $*"; }

ensure_database() {
  if ! psql_admin "-c \"SELECT 1 FROM pg_roles WHERE rolname = '$PG_USER'\"" | grep -q 1; then
    # CREATEDB: the integration tests give each test a fresh database of its own.
    psql_admin "-c \"CREATE ROLE $PG_USER LOGIN CREATEDB PASSWORD '$PG_PASSWORD'\""
  fi
  psql_admin "-c \"ALTER ROLE $PG_USER CREATEDB\""
  if ! psql_admin "-c \"SELECT 1 FROM pg_database WHERE datname = '$PG_DB'\"" | grep -q 1; then
    psql_admin "-c \"CREATE DATABASE $PG_DB OWNER $PG_USER\""
  fi
}

postgres_down() {
  local version
  version=$(pg_version)
  if [ -n "$version" ] && pg_lsclusters -h 2>/dev/null | awk '{print $2}' | grep -qx "$PG_CLUSTER"; then
    as_root pg_ctlcluster "$version" "$PG_CLUSTER" stop 2>/dev/null || true
    log "PostgreSQL cluster '$PG_CLUSTER' stopped"
  fi
}

# --- Kafka ---

fetch_kafka() {
  if [ -f "$KAFKA_DIR/libs/.complete" ]; then return; fi
  command -v mvn >/dev/null || { log "Maven is needed to fetch Kafka's jars"; exit 1; }
  log "fetching Apache Kafka jars from Maven Central (once)"
  mkdir -p "$KAFKA_DIR/libs"
  mvn -q -B -f "$ROOT/scripts/kafka/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$KAFKA_DIR/libs" -DincludeScope=runtime >&2
  touch "$KAFKA_DIR/libs/.complete"
}

write_kafka_config() {
  mkdir -p "$KAFKA_DIR/data" "$KAFKA_DIR/logs"
  cat >"$KAFKA_DIR/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$KAFKA_DIR/data
num.partitions=3
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
EOF
}

kafka_java() {
  java -Xms256m -Xmx768m -XX:+UseG1GC \
    -Dlog4j2.configurationFile="$ROOT/scripts/kafka/log4j2.properties" \
    -Dkafka.logs.dir="$KAFKA_DIR/logs" \
    -cp "$KAFKA_DIR/libs/*" "$@"
}

kafka_up() {
  if [ -n "${SALESLEDGER_KAFKA_BOOTSTRAP:-}" ]; then
    log "using Kafka at SALESLEDGER_KAFKA_BOOTSTRAP"
    KAFKA_BOOTSTRAP=$SALESLEDGER_KAFKA_BOOTSTRAP
    return
  fi
  KAFKA_BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
  if port_open "$KAFKA_PORT"; then return; fi
  command -v java >/dev/null || { log "Java 17 is needed to run Kafka"; exit 1; }
  fetch_kafka
  write_kafka_config
  if [ ! -f "$KAFKA_DIR/data/meta.properties" ]; then
    log "formatting Kafka storage"
    kafka_java kafka.tools.StorageTool format --ignore-formatted \
      -t "$(kafka_java kafka.tools.StorageTool random-uuid)" \
      -c "$KAFKA_DIR/server.properties" >&2
  fi
  log "starting Kafka (KRaft) on 127.0.0.1:$KAFKA_PORT"
  nohup setsid bash -c "$(declare -f kafka_java); ROOT='$ROOT' KAFKA_DIR='$KAFKA_DIR' \
    kafka_java kafka.Kafka '$KAFKA_DIR/server.properties'" \
    >"$KAFKA_DIR/logs/stdout.log" 2>&1 </dev/null &
  echo $! >"$KAFKA_DIR/kafka.pid"
  wait_for_port "$KAFKA_PORT" 90 Kafka || { tail -n 30 "$KAFKA_DIR/logs/stdout.log" >&2; exit 1; }
}

kafka_down() {
  if [ -f "$KAFKA_DIR/kafka.pid" ]; then
    local pid
    pid=$(cat "$KAFKA_DIR/kafka.pid")
    kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
    # Wait for the JVM to exit, not just for the port to close: a restart must not find the
    # old broker still shutting down and take it for a running one.
    for _ in $(seq 1 300); do
      pgrep -g "$pid" >/dev/null 2>&1 || kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    pkill -KILL -g "$pid" 2>/dev/null || true
    rm -f "$KAFKA_DIR/kafka.pid"
    log "Kafka stopped"
  fi
}

write_env() {
  mkdir -p "$STATE"
  cat >"$ENV_FILE" <<EOF
export SALESLEDGER_DATABASE_URL=$DATABASE_URL
export SALESLEDGER_KAFKA_BOOTSTRAP=$KAFKA_BOOTSTRAP
EOF
  cat "$ENV_FILE"
}

case "${1:-up}" in
  up)
    install_browser
    postgres_up
    kafka_up
    write_env
    ;;
  browser)
    install_browser
    ;;
  down)
    kafka_down
    postgres_down
    ;;
  env)
    [ -f "$ENV_FILE" ] && cat "$ENV_FILE" || { log "not started: run scripts/services.sh up"; exit 1; }
    ;;
  # This project's own broker, whatever SALESLEDGER_KAFKA_BOOTSTRAP names (the fault tests
  # restart it mid-run).
  kafka-down) kafka_down ;;
  postgres-down) postgres_down ;;
  postgres-up)
    unset SALESLEDGER_DATABASE_URL
    postgres_up
    ;;
  kafka-up)
    unset SALESLEDGER_KAFKA_BOOTSTRAP
    kafka_up
    ;;
  *)
    echo "usage: $0 up|down|env|browser" >&2
    exit 2
    ;;
esac
