"""A progress bar with rate and ETA on a terminal; silent when output is a file or a pipe."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm import tqdm

T = TypeVar("T")


def progress(items: Iterable[T], *, total: int | None, unit: str = "row", stream=None) -> Iterator[T]:  # type: ignore[no-untyped-def]
    stream = stream or sys.stderr
    yield from tqdm(
        items,
        total=total,
        unit=unit,
        unit_scale=True,
        file=stream,
        disable=not stream.isatty(),
        dynamic_ncols=True,
        smoothing=0.1,
    )


def count_rows(path) -> int:  # type: ignore[no-untyped-def]
    with open(path, "rb") as fh:
        return max(sum(1 for _ in fh) - 1, 0)
