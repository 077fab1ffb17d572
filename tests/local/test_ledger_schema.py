"""The ledger's tables carry a schema version: a deployment starting on tables of an older
version rebuilds them from the store, rather than failing or reading stale rows."""

from __future__ import annotations

from api.bootstrap import build
from api.settings import Settings
from projections.replay import fold_until
from tests.builders import play_leads


def test_tables_of_an_older_schema_version_are_rebuilt_from_the_store_at_start(tmp_path, clock):
    settings = Settings(data_dir=tmp_path, database_url=None, kafka_bootstrap=None)
    first = build(settings, clock=clock)
    play_leads(first.app, clock, 6)
    first.after_command()
    live = first.docs.all_docs("ledger")
    with first.db.transaction():
        first.db.execute("UPDATE read_model_versions SET version = 0 WHERE read_model = 'ledger'")
        first.db.execute("DELETE FROM rm_activity")  # what an older fold would not have kept
    first.close()

    again = build(settings, clock=clock)
    try:
        ledger = next(p for p in again.projections if p.name == "ledger")
        fresh = fold_until([ledger], again.public_envelopes())["ledger"].docs
        assert again.docs.all_docs("ledger") == fresh == live
        assert again.db.read("SELECT version FROM read_model_versions")[0][0] >= 1
    finally:
        again.close()


def test_tables_of_the_current_version_are_kept(tmp_path, clock):
    settings = Settings(data_dir=tmp_path, database_url=None, kafka_bootstrap=None)
    first = build(settings, clock=clock)
    play_leads(first.app, clock, 3)
    first.after_command()
    live = first.docs.all_docs("ledger")
    first.close()
    again = build(settings, clock=clock)
    try:
        assert not again.docs.stale
        assert again.docs.all_docs("ledger") == live
    finally:
        again.close()
