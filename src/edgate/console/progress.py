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
    """A person file's lines but the header (for the progress bar, and whether a second process
    prepares the rows): lines end at LF (CRLF too), or at CR in a file without LF (a CR-only
    file); a last line without its end counts. Blank lines and cells over several lines count
    as rows: an estimate."""
    lf = cr = 0
    last = b""
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            lf += chunk.count(b"\n")
            cr += chunk.count(b"\r")
            last = chunk[-1:]
    lines = (lf or cr) + (1 if last and last not in b"\r\n" else 0)
    return max(lines - 1, 0)
