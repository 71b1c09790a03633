"""Chunking helpers: the codecs must give the same result whatever the read boundaries."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import pairwise
from typing import Any, Protocol

from hypothesis import strategies as st


class Decoder(Protocol):
    def receive_data(self, data: bytes) -> None: ...

    def events(self) -> list[Any]: ...


def split_at(data: bytes, cuts: Iterable[int]) -> list[bytes]:
    """Cut ``data`` at the given offsets (any order, duplicates allowed)."""
    bounds = [0, *sorted(cuts), len(data)]
    return [data[a:b] for a, b in pairwise(bounds) if b > a]


def every_chunking(data: bytes) -> Iterator[list[bytes]]:
    """Every single split point, then the input one byte at a time."""
    for i in range(1, len(data)):
        yield [data[:i], data[i:]]
    yield [data[i : i + 1] for i in range(len(data))]


def chunkings(data: bytes) -> st.SearchStrategy[list[bytes]]:
    return st.lists(st.integers(0, len(data)), max_size=30).map(lambda cuts: split_at(data, cuts))


def decode(decoder: Decoder, chunks: Iterable[bytes], *, eof: bool = True) -> list[Any]:
    """Feed ``chunks`` one at a time, draining events after each, then EOF."""
    out: list[Any] = []
    for chunk in chunks:
        decoder.receive_data(chunk)
        out.extend(decoder.events())
    if eof:
        decoder.receive_data(b"")
        out.extend(decoder.events())
    return out
