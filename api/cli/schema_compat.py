"""Whether a consumer of the last release's events can read this version's: the committed
schemas (docs/events/) against the release's (docs/events/released.json, frozen by
`salesledger schema release`). Only added optional fields pass; anything a consumer may rely on
— a field removed, retyped, newly required or no longer required, a constant or an enum
changed, an event type gone — is a breaking change, for a new schema version."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RELEASED = "released.json"
WORDING = {"description", "title"}  # what a consumer's reading does not depend on


def breaking_changes(old: Any, new: Any, where: str = "") -> list[str]:
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return [] if old == new else [f"{where or '/'}: {old!r} became {new!r}"]
    problems = _fields(old, new, where) + _definitions(old, new, where)
    for key in sorted((old.keys() | new.keys()) - {"properties", "required", "$defs"} - WORDING):
        if key not in new:
            problems.append(f"{where or '/'}: {key} removed")
        elif key not in old:
            problems.append(f"{where or '/'}: {key} added ({new[key]!r})")
        else:
            problems += breaking_changes(old[key], new[key], f"{where}/{key}")
    return problems


def _fields(old: dict, new: dict, where: str) -> list[str]:
    problems = _named(old.get("properties", {}), new.get("properties", {}), where)
    was, now = set(old.get("required", [])), set(new.get("required", []))
    problems += [f"{where}/{n}: no longer required" for n in sorted(was - now)]
    problems += [f"{where}/{n}: newly required" for n in sorted(now - was)]
    return problems


def _definitions(old: dict, new: dict, where: str) -> list[str]:
    return _named(old.get("$defs", {}), new.get("$defs", {}), f"{where}/$defs")


def _named(before: dict, after: dict, where: str) -> list[str]:
    """Sub-schemas by name (fields, definitions): one gone breaks, one added does not."""
    problems = [f"{where}/{name}: removed" for name in before if name not in after]
    for name in before.keys() & after.keys():
        problems += breaking_changes(before[name], after[name], f"{where}/{name}")
    return problems


def committed(folder: Path) -> dict[str, Any]:
    return {p.name: json.loads(p.read_text()) for p in sorted(folder.glob("*.schema.json"))}


def released(folder: Path) -> dict[str, Any]:
    return json.loads((folder / RELEASED).read_text())["schemas"]


def breaking_since_release(folder: Path) -> list[str]:
    now = committed(folder)
    problems = []
    for name, schema in released(folder).items():
        if name not in now:
            problems.append(f"{name}: the event type is gone")
        else:
            problems += [f"{name} {p}" for p in breaking_changes(schema, now[name])]
    return problems


def freeze_release(folder: Path, release: str) -> Path:
    path = folder / RELEASED
    path.write_text(json.dumps({"release": release, "schemas": committed(folder)},
                               indent=1, sort_keys=True) + "\n")  # fmt: skip
    return path
