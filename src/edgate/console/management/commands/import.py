from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import TypeVar

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from edgate.console.progress import count_rows, progress
from edgate.core import csvsafe
from edgate.core.context import Ctx
from edgate.directory.models import Organization
from edgate.importer import prepare
from edgate.importer.bulk import BulkImporter
from edgate.importer.rows import BrokenFile, open_csv, read
from edgate.importer.service import REPORT_FIELDS, UNUSABLE, RowResult, import_row, report_values, summary

T = TypeVar("T")


class DryRunRollback(Exception):
    pass


class Command(BaseCommand):
    help = (
        "Import a person file: each row is matched; exact rows update or confirm the person, partial rows "
        "open a match case, new people get a pre-created Profile. Safe to run again. Writes a per-row report."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--source", required=True, help="Who sent the file, e.g. licensure-2026 or district-0123."
        )
        parser.add_argument("--org", help="Organization code: add the people to its staff directory.")
        parser.add_argument(
            "--role-title", default="Staff", help="Staff role title with --org (default: Staff)."
        )
        parser.add_argument("--report", type=Path, help="Per-row report (default: FILE.report.csv).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Match and report, then undo every change."
        )
        parser.add_argument(
            "--per-row",
            action="store_true",
            help="Write row by row even on PostgreSQL (where new people are otherwise written in batches).",
        )

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        source = options["source"].strip()
        if not source or len(source) > 40:
            raise CommandError("--source must be 1 to 40 characters")
        organization = None
        if options["org"]:
            organization = Organization.objects.filter(code=options["org"]).first()
            if organization is None:
                raise CommandError(f"no organization with code {options['org']}")
        report = Path(options["report"]) if options["report"] else path.with_suffix(".report.csv")
        ctx = Ctx.system(f"import:{source}")
        role_title = options["role_title"]
        counts: Counter[str] = Counter()
        broken: list[BrokenFile] = []

        def until_broken(rows: Iterable[T]) -> Iterator[T]:
            """The rows up to where the file breaks (a quote never closed): there they end, and
            the import finishes what it holds (a bulk import's last batch) before it stops."""
            try:
                yield from rows
            except BrokenFile as exc:
                broken.append(exc)

        with open_csv(path) as handle, report.open("w", newline="", encoding="utf-8") as out:
            # A row of the report is the RowResult's fields in order (what a DictWriter of them wrote).
            writer = csvsafe.writer(out)
            writer.writerow(REPORT_FIELDS)

            def report_row(result: RowResult) -> None:
                counts[result.result] += 1
                if result.unusable and result.result != "rejected":
                    counts[UNUSABLE] += 1
                writer.writerow(report_values(result))

            total = count_rows(path)
            # A real run commits row by row (or batch by batch), so an interrupted import keeps
            # what it did and a re-run skips it; a dry run holds everything in one transaction.
            try:
                with transaction.atomic() if options["dry_run"] else nullcontext():
                    if connection.vendor == "postgresql" and not options["per_row"]:
                        bulk = BulkImporter(
                            source=source,
                            organization=organization,
                            role_title=role_title,
                            ctx=ctx,
                            report=report_row,
                            background=True,
                        )
                        # What depends on a row alone is done ahead by a second process
                        # (started before the preload, stopped and reaped on leaving); the
                        # batches are written by a third (`bulk.writer`, stopped by close()).
                        try:
                            ahead = (
                                None
                                if options["dry_run"] or total < prepare.MIN_ROWS
                                else prepare.Preparer(handle, extra=bulk.extra)
                            )
                            with ahead or nullcontext(), bulk.full_collections_per_batch():
                                bulk.preload()
                                if ahead is None:
                                    for row in progress(
                                        until_broken(read(handle, agency_file=True)), total=total
                                    ):
                                        bulk.add(row)
                                else:
                                    # The rows as the child read and checked them: not again here.
                                    prepared = until_broken(ahead.rows(bulk.imported))
                                    for row, item in progress(prepared, total=total):
                                        bulk.add(row, item)
                            bulk.finish()
                        finally:
                            bulk.close()
                    else:
                        for row in progress(until_broken(read(handle, agency_file=True)), total=total):
                            report_row(
                                import_row(
                                    row,
                                    source=source,
                                    organization=organization,
                                    role_title=role_title,
                                    ctx=ctx,
                                )
                            )
                    if options["dry_run"]:
                        raise DryRunRollback
            except DryRunRollback:
                pass
            except prepare.FileChanged as exc:  # what was written stays written, as on any failure
                raise CommandError(f"{path}: {exc}") from None
        prefix = "Dry run (nothing saved): " if options["dry_run"] else ""
        self.stdout.write(f"{prefix}{summary(counts)}. Report: {report}")
        if broken:
            before = "are in the report" if options["dry_run"] else "are imported (see the report)"
            raise CommandError(
                f"{path}, {broken[0]}. The rows before it {before}; close the quote and import the file "
                "again (the rows imported already are found unchanged)."
            )
