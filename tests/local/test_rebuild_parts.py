"""A rebuild split by aggregate: each part folds its own aggregates' events, writes them to a
scratch file, and one transaction puts all parts in the tables, as one process would."""

from __future__ import annotations

from uuid import uuid4

import pytest

from consumers.rebuild_jobs import AggregatePart
from projections.catalog import all_projections
from projections.ledger import LEADS, UNHELD_COUNTS
from projections.replay import fold_log
from projections.sql_store import STORE_SOURCE, SqlDocStore
from projections.table_parts import write_part
from projections.tables import MemoryTables
from store.database import Database
from store.log_reader import all_envelopes
from tests.builders import every_kind_of_event, play_leads


@pytest.mark.parametrize("count", [2, 3])
def test_each_aggregate_falls_in_exactly_one_part_whatever_form_its_id_takes(count):
    ids = [uuid4() for _ in range(3000)]
    parts = [AggregatePart(index, count) for index in range(count)]
    for position, aggregate_id in enumerate(ids, 1):
        forms = (aggregate_id, str(aggregate_id), aggregate_id.hex)  # as the recorders give it
        holders = {p.index for p in parts for form in forms if p((position, form, 1, "", b""))}
        assert len(holders) == 1
    assert all(p.read_to == len(ids) for p in parts)  # each was shown every row
    # random ids share out about evenly
    sizes = [sum(p((0, i, 1, "", b"")) for i in ids) for p in parts]
    assert min(sizes) > len(ids) / count * 0.8


def ledger_in_parts(app, clock, ryan, maria, folder) -> tuple[list[str], MemoryTables, int]:
    """A ledger folded in two parts, written to scratch files under `folder`: their paths,
    one fold of the whole log, and its last position. One lead's text is made
    awkward for a copy (a comma, quotes, an empty string beside NULLs) in both."""
    every_kind_of_event(app, ryan, maria, clock)
    # many leads in the pool: the same tally groups (unheld leads by status, tier, source)
    # are counted in both parts, and must be summed
    play_leads(app, clock, 30, claimed=lambda n: n % 3 == 0)
    envelopes = list(all_envelopes(app))
    projections = all_projections()
    whole = fold_log(projections, envelopes).states["ledger"]
    awkward = {"company": 'Smith, "Jones" & Co', "industry": "", "region": None}
    parts = [AggregatePart(index, 2) for index in range(2)]
    paths = [str(folder / f"ledger.{part.index}.sqlite") for part in parts]
    counted = []
    for part, path in zip(parts, paths, strict=True):
        mine = [e for e in envelopes if part((e["position"], e["aggregate_id"], 0, "", b""))]
        state = fold_log(projections, mine).states["ledger"]
        first_lead = next(iter(state.rows[LEADS.name]))
        for tables in (state, whole):
            tables.rows[LEADS.name][first_lead].update(awkward)
        write_part(state, path)
        counted.append(state.rows[UNHELD_COUNTS.name])
    assert set(counted[0]) & set(counted[1]), "the scenario must count a group in both parts"
    return paths, whole, envelopes[-1]["position"]


def test_a_ledger_rebuilt_in_parts_equals_one_rebuilt_whole(app, clock, ryan, maria, tmp_path):
    paths, whole, last = ledger_in_parts(app, clock, ryan, maria, tmp_path)
    store = SqlDocStore(Database.sqlite(str(tmp_path / "rm.sqlite")))
    try:
        store.write_rebuilt_parts("ledger", paths, {STORE_SOURCE: last})
        assert store.all_docs("ledger") == whole.docs
        assert store.position("ledger", STORE_SOURCE) == last
        # the scratch files were detached: a second rebuild attaches them again
        store.write_rebuilt_parts("ledger", paths, {STORE_SOURCE: last})
        assert store.all_docs("ledger") == whole.docs
    finally:
        store.db.close()
