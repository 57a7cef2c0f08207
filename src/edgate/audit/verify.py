"""Walk the audit chains and report the first broken link of each (`edgate audit verify`)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .chain import CONTENT_FIELDS, event_hash
from .models import AuditEvent

ANCHOR_LINE = re.compile(r"^anchor chain=(\d+) seq=(\d+) hash=([0-9a-f]{64})\b")


@dataclass(frozen=True)
class Anchor:
    chain: int
    seq: int
    hash: str

    def line(self) -> str:
        return f"anchor chain={self.chain} seq={self.seq} hash={self.hash}"


@dataclass(frozen=True)
class Break:
    chain: int
    seq: int
    event_id: int | None
    kind: str  # content changed, link broken, sequence gap / repeated, anchor, truncated
    explanation: str


@dataclass
class ChainReport:
    chain: int
    events: int = 0
    last_seq: int = 0
    last_hash: str = ""
    last_id: int | None = None
    problem: Break | None = None

    @property
    def anchor(self) -> Anchor:
        return Anchor(self.chain, self.last_seq, self.last_hash)


def read_anchors(lines: Iterable[str]) -> dict[int, Anchor]:
    """The `anchor …` lines of an earlier `edgate audit verify` output (other lines are ignored)."""
    anchors = {}
    for line in lines:
        if match := ANCHOR_LINE.match(line.strip()):
            chain, seq, digest = int(match[1]), int(match[2]), match[3]
            anchors[chain] = Anchor(chain, seq, digest)
    return anchors


def verify_chains(
    *, anchors: dict[int, Anchor] | None = None, trust_anchored: bool = False, chunk_size: int = 5000
) -> Iterator[ChainReport]:
    """One report per chain, in chain order, streaming the events (never all in memory).

    With `anchors`, each anchored event must still be there with the anchored hash (a chain
    cut back before its anchor is reported). With `trust_anchored` too, events up to an anchor
    are checked for sequence and links but not hashed again (after a LOOKUP_KEY rotation,
    or to check only what was written since).
    """
    anchors = anchors or {}
    rows = (
        AuditEvent.objects.order_by("chain", "seq")
        .values_list("id", "chain", "seq", "prev_hash", "hash", *CONTENT_FIELDS)
        .iterator(chunk_size=chunk_size)
    )
    report: ChainReport | None = None
    seen: set[int] = set()
    for event_id, chain, seq, prev_hash, digest, *content in rows:
        if report is None or report.chain != chain:
            if report is not None:
                yield _finish(report, anchors)
            report = ChainReport(chain)
            seen.add(chain)
        if report.problem is None:
            report.problem = _check(
                report, anchors.get(chain), trust_anchored, event_id, seq, prev_hash, digest, content
            )
        report.events += 1
        report.last_seq, report.last_hash, report.last_id = seq, digest, event_id
    if report is not None:
        yield _finish(report, anchors)
    for chain in sorted(anchors.keys() - seen):
        missing = ChainReport(chain)
        yield _finish(missing, anchors)


def _check(
    report: ChainReport,
    anchor: Anchor | None,
    trust_anchored: bool,
    event_id: int,
    seq: int,
    prev_hash: str,
    digest: str,
    content: list[object],
) -> Break | None:
    chain = report.chain
    if seq <= report.last_seq:  # only possible once the unique constraint has been dropped
        return Break(chain, seq, event_id, "sequence repeated", f"a second event with seq {seq}: inserted")
    if seq != report.last_seq + 1:
        missing = seq - report.last_seq - 1
        return Break(
            chain,
            seq,
            event_id,
            "sequence gap",
            f"{missing} event(s) before it are missing (seq {report.last_seq + 1}–{seq - 1}): deleted",
        )
    if prev_hash != report.last_hash:
        return Break(chain, seq, event_id, "link broken", f"its prev_hash is not the hash of seq {seq - 1}")
    if anchor is not None and seq == anchor.seq and digest != anchor.hash:
        return Break(chain, seq, event_id, "anchor", "its hash differs from the anchored one")
    if anchor is not None and trust_anchored and seq <= anchor.seq:
        return None
    if event_hash(chain, seq, prev_hash, content) != digest:
        return Break(
            chain, seq, event_id, "content changed", "its fields no longer match its hash: edited or forged"
        )
    return None


def _finish(report: ChainReport, anchors: dict[int, Anchor]) -> ChainReport:
    anchor = anchors.get(report.chain)
    if report.problem is None and anchor is not None and report.last_seq < anchor.seq:
        report.problem = Break(
            report.chain,
            report.last_seq,
            report.last_id,
            "truncated",
            f"the chain ends at seq {report.last_seq} but the anchor names seq {anchor.seq}: "
            "its last events were deleted",
        )
    return report
