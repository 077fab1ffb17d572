"""`salesledger serve`: the HTTP API."""

from __future__ import annotations

import argparse

from api.bootstrap import Container
from api.cli.args import port, positive
from consumers import logs


def register(commands: argparse._SubParsersAction) -> None:
    serve = commands.add_parser("serve", help="run the HTTP API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=port, default=8000)
    serve.add_argument(
        "--workers",
        type=positive,
        default=1,
        help="API processes, e.g. one per core. Without Kafka each delivers the log to the read "
        "models itself, taking turns on them (writer locks; redelivery changes nothing)",
    )
    serve.set_defaults(run=run_serve)


def run_serve(container: Container, args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app

    json_lines = container.settings.log_format == "json"
    if json_lines:  # uvicorn's loggers then reach the root's JSON handler, not its own
        logs.configure(log_format="json")
    mode = "embedded (SQLite)" if container.settings.embedded else "PostgreSQL"
    print(f"SalesLedger {mode}, data in {container.settings.data_dir.resolve()}")
    print(f"listening on http://{args.host}:{args.port}  (API docs: /docs)")
    print(f"dashboard: http://{args.host}:{args.port}/  (sign in with a bearer token)", flush=True)
    if args.workers > 1:
        uvicorn.run(
            "api.app:create_app_from_environment",
            factory=True,
            workers=args.workers,
            host=args.host,
            port=args.port,
            log_level="info",
            log_config=None if json_lines else uvicorn.config.LOGGING_CONFIG,
        )
        return 0
    app = create_app(container, follow_in_background=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info",
                log_config=None if json_lines else uvicorn.config.LOGGING_CONFIG)  # fmt: skip
    return 0
