from __future__ import annotations

import argparse
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from edgate.audit.verify import ChainReport, read_anchors, verify_chains

VERIFY_HELP = """\
Walk every chain of the audit log and report the first broken link of each: an event whose
fields no longer match its hash (content changed), whose link to the event before it is
wrong (link broken), or that follows a hole in the sequence (events deleted). Exits with
status 1 when anything is broken; prints a one-line summary when the log is intact.

It also prints, per chain, an "anchor" line: the last seq and hash. Keep those lines outside
the database (a log server, a ticket, write-once storage): deleting the last events of a
chain leaves a shorter chain that is intact in itself, and only a comparison with an anchor
(--anchors) finds it. The hashes are keyed by LOOKUP_KEY; after rotating that key, verify
from anchors taken just before the rotation (--anchors FILE --trust-anchored).
"""


class Command(BaseCommand):
    help = "The tamper-evident audit log: `edgate audit verify` checks its hash chains."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        verify = actions.add_parser(
            "verify",
            help="check every chain; print anchors and a summary",
            description=VERIFY_HELP,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        verify.add_argument(
            "--anchors",
            metavar="FILE",
            help="the output of an earlier run: each anchored event must still be there, unchanged",
        )
        verify.add_argument(
            "--trust-anchored",
            action="store_true",
            help="with --anchors: do not hash again the events up to each anchor (after a key rotation)",
        )

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        if options["action"] == "verify":
            self.verify(options["anchors"], options["trust_anchored"])

    def verify(self, anchor_file: str | None, trust_anchored: bool) -> None:
        if trust_anchored and not anchor_file:
            raise CommandError("--trust-anchored needs --anchors FILE")
        anchors = {}
        if anchor_file:
            try:
                anchors = read_anchors(Path(anchor_file).read_text(encoding="utf-8").splitlines())
            except OSError as exc:
                raise CommandError(f"cannot read {anchor_file}: {exc.strerror}") from exc
            if not anchors:
                raise CommandError(f"{anchor_file} has no anchor lines")
        chains = events = broken = 0
        for report in verify_chains(anchors=anchors, trust_anchored=trust_anchored):
            chains += 1
            events += report.events
            if report.problem is not None:
                broken += 1
                self.stdout.write(self.style.ERROR(describe(report)))
            self.stdout.write(report.anchor.line())
        if broken:
            raise CommandError(
                f"Audit log BROKEN in {broken} of {counted(chains, 'chain')}; "
                f"{counted(events, 'event')} checked."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit log intact: {counted(chains, 'chain')}, {counted(events, 'event')} checked."
            )
        )


def counted(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def describe(report: ChainReport) -> str:
    problem = report.problem
    assert problem is not None
    event = f"event {problem.event_id}" if problem.event_id is not None else "no event"
    return f"broken chain={problem.chain} seq={problem.seq} ({event}): {problem.kind}: {problem.explanation}"
