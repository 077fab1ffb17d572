"""The state a projection folds into: JSON documents by key, in memory or in a database."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

Doc = dict[str, Any]


class DocState(Protocol):
    """Documents by key. Folds read and write through this, so one fold serves every store."""

    def get(self, key: str) -> Doc | None: ...

    def put(self, key: str, doc: Doc) -> None: ...

    def scan(self, prefix: str) -> Iterator[tuple[str, Doc]]: ...


class MemoryState:
    """A DocState in a dict: used for rebuilds, as-of reports and unit tests."""

    def __init__(self) -> None:
        self.docs: dict[str, Doc] = {}

    def get(self, key: str) -> Doc | None:
        return self.docs.get(key)

    def put(self, key: str, doc: Doc) -> None:
        self.docs[key] = doc

    def scan(self, prefix: str) -> Iterator[tuple[str, Doc]]:
        for key in sorted(self.docs):
            if key.startswith(prefix):
                yield key, self.docs[key]
