"""`salesledger serve`: the HTTP API."""

from __future__ import annotations

import argparse
import sys

from api.bootstrap import Container
from api.cli.args import port, positive


def register(commands: argparse._SubParsersAction) -> None:
    serve = commands.add_parser("serve", help="run the HTTP API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=port, default=8000)
    serve.add_argument(
        "--workers",
        type=positive,
        default=1,
        help="API processes (more than 1 needs Kafka: the read models are then built by "
        "`salesledger project`, not inside the API)",
    )
    serve.set_defaults(run=run_serve)


def run_serve(container: Container, args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app

    if args.workers > 1 and container.follower is not None:
        print(
            "salesledger: --workers above 1 needs SALESLEDGER_KAFKA_BOOTSTRAP: without Kafka "
            "each API process would build the read models itself, and they would race",
            file=sys.stderr,
        )
        return 2
    mode = "embedded (SQLite)" if container.settings.embedded else "PostgreSQL"
    print(f"SalesLedger {mode}, data in {container.settings.data_dir.resolve()}")
    print(f"listening on http://{args.host}:{args.port}  (API docs: /docs)", flush=True)
    if args.workers > 1:
        uvicorn.run(
            "api.app:create_app_from_environment",
            factory=True,
            workers=args.workers,
            host=args.host,
            port=args.port,
            log_level="info",
        )
        return 0
    app = create_app(container, follow_in_background=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0
