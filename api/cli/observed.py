"""Commands that run unattended (the workers, a rebuild) are observed: their logs as configured
and, with `--metrics-port`, a Prometheus endpoint. Both start before the container is built,
because building it may rebuild read models of an older schema, and that shows too."""

from __future__ import annotations

import argparse

from api import consumer_metrics
from api.cli.args import port
from api.settings import Settings
from consumers import logs


def observed(command: argparse.ArgumentParser) -> None:
    """Gives the command `--metrics-port` and marks it as observed."""
    command.add_argument(
        "--metrics-port", type=port, default=None,
        help="serve Prometheus metrics on http://0.0.0.0:PORT/metrics (default: none)",
    )  # fmt: skip
    command.set_defaults(observed=True)


def start_observing(settings: Settings, args: argparse.Namespace) -> None:
    """Logging as configured, and the metrics endpoint if asked for (read off the logs)."""
    if not getattr(args, "observed", False):
        return
    logs.configure(log_format=settings.log_format)
    if args.metrics_port is not None:
        consumer_metrics.serve(args.metrics_port)
