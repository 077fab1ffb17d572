"""docs/grafana-dashboard.json queries only metrics the API and the consumers serve."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from api.consumer_metrics import ConsumerMetrics
from api.metrics import ApiMetrics

pytestmark = pytest.mark.local
ROOT = Path(__file__).resolve().parents[2]


class AnEmptyStore:
    """What the store's gauges read: a log at position 0, no in-process read models."""

    follower = None

    class app:  # noqa: N801 - stands for the container's application
        @staticmethod
        def last_position() -> int:
            return 0


def served_names() -> set[str]:
    consumers = CollectorRegistry()
    ConsumerMetrics(consumers)
    families = [*ApiMetrics(AnEmptyStore()).registry.collect(), *consumers.collect()]
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum")}
    return {f.name + suffix for f in families for suffix in ("", *suffixes.get(f.type, ()))}


def test_every_metric_the_dashboard_queries_is_served():
    panels = json.loads((ROOT / "docs" / "grafana-dashboard.json").read_text())["panels"]
    queries = [target["expr"] for panel in panels for target in panel["targets"]]
    wanted = {name for q in queries for name in re.findall(r"salesledger_[a-z_]+", q)}
    in_process_only = {"salesledger_projection_lag"}  # with the embedded follower
    assert wanted - served_names() - in_process_only == set()
