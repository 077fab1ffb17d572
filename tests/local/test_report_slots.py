"""Reports take turns per API process on SQLite and on a PostgreSQL of the same host, and
run a few at once on a PostgreSQL of another host."""

from __future__ import annotations

from types import SimpleNamespace

from api.app import report_slots
from api.dependencies import report_slot
from api.routers import leads, management, reports
from api.settings import Settings

POSTGRES = "postgresql://salesledger@db.example.internal:5432/salesledger"


def slots_of(**settings) -> int:
    return report_slots(SimpleNamespace(settings=Settings(kafka_bootstrap=None, **settings)))


def test_an_embedded_process_answers_one_report_at_a_time():
    assert slots_of(database_url=None) == 1


def test_a_process_of_a_postgresql_on_another_host_answers_four_reports_at_once():
    assert slots_of(database_url=POSTGRES) == 4
    assert slots_of(database_url="postgresql://u@10.0.0.5/db") == 4


def test_a_process_of_a_postgresql_on_this_host_answers_one_report_at_a_time():
    for local in ("postgresql://u@127.0.0.1:55432/db", "postgresql://u@localhost/db",
                  "postgresql://u@[::1]:5432/db", "postgresql:///db"):  # fmt: skip
        assert slots_of(database_url=local) == 1, local


def test_the_operator_sets_how_many_reports_a_process_answers_at_once():
    assert slots_of(database_url=None, report_slots=3) == 3


def test_every_report_and_the_pool_wait_for_a_report_slot():
    waiting = []
    for module in (reports, management, leads):
        shared = [d.dependency for d in module.router.dependencies]
        for route in module.router.routes:
            own = [d.dependency for d in route.dependencies]
            if report_slot in shared + own:
                waiting.append(route.path)
    every_report = [r.path for m in (reports, management) for r in m.router.routes]
    assert sorted(waiting) == sorted([*every_report, "/pool"])
    assert len(every_report) >= 14
