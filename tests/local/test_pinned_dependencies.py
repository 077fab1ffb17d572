"""requirements.lock pins every package the project and its tests use, and `make install`
installed exactly those versions: a newcomer gets what CI tested."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

pytestmark = pytest.mark.local
ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s;]+)", re.MULTILINE)


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _locked() -> dict[str, str]:
    text = (ROOT / "requirements.lock").read_text()
    return {_canonical(name): version for name, version in PIN.findall(text)}


def _required() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["test"]
    return {_canonical(re.split(r"[\[<>=!~ ;]", spec, maxsplit=1)[0]) for spec in wanted}


def test_every_dependency_is_pinned():
    assert _required() - set(_locked()) == set()


def test_the_installed_versions_are_the_locked_ones():
    installed = {name: metadata.version(name) for name in _locked()}
    assert {n: v for n, v in installed.items() if v != _locked()[n]} == {}
