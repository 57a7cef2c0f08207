from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from edgate.console.progress import count_rows, progress
from edgate.core import conf
from edgate.identity.engine import RuleMatcher
from edgate.identity.rules import RULES
from edgate.importer.link import Tally, classify, load_index, write_results
from edgate.importer.rows import BrokenFile, open_csv, read
from edgate.matching import service
from edgate.matching.candidates import find_candidates
from edgate.people.models import ssn_lookup


class Command(BaseCommand):
    help = (
        "Classify every row of QUERIES.csv as exact / partial / none against RECORDS.csv (--against, "
        "no database touched) or against the database. Writes query_id, outcome, record_id, score, "
        "the rule and the per-field explanation."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("queries", type=Path)
        parser.add_argument(
            "--against", type=Path, help="A person file to match against instead of the database."
        )
        parser.add_argument("--out", type=Path, required=True)

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        queries = Path(options["queries"])
        against = Path(options["against"]) if options["against"] else None
        out_path = Path(options["out"])
        for path in (queries, against):
            if path is not None and not path.is_file():
                raise CommandError(f"{path}: no such file")
        if against is not None:
            bad_records: list = []
            dirty_records: list = []
            try:
                index = load_index(against, bad_records.append, dirty_records.append)
            except BrokenFile as exc:  # a quote never closed: no complete set of records to match
                raise CommandError(f"{against}, {exc}; nothing was matched") from None
            for row in bad_records[:20]:
                self.stderr.write(f"{against} line {row.line}: {row.error}")
            if len(bad_records) > 20:
                self.stderr.write(f"… and {len(bad_records) - 20} more rejected records")
            for row in dirty_records[:20]:
                self.stderr.write(f"{against} line {row.line}: kept; unusable {'; '.join(row.problems)}")
            if len(dirty_records) > 20:
                self.stderr.write(f"… and {len(dirty_records) - 20} more records kept with unusable fields")
            records_note = (
                f"; records: {len(index.records)} kept ({len(dirty_records)} with unusable fields), "
                f"{len(bad_records)} rejected"
            )
            candidates = index.candidates
            matcher = RuleMatcher(hasher=ssn_lookup, rules=RULES[conf.get().match_rules])
        else:
            candidates = find_candidates
            matcher = service.matcher()
            records_note = ""
        tally = Tally()
        with open_csv(queries) as handle, out_path.open("w", newline="", encoding="utf-8") as out:
            rows = progress(read(handle), total=count_rows(queries))
            try:
                write_results(out, classify(rows, matcher, candidates), tally)
            except BrokenFile as exc:
                raise CommandError(f"{queries}, {exc}; {out_path} holds the rows before it") from None
        self.stdout.write(
            f"{tally.exact} exact, {tally.partial} partial, {tally.none} none, {tally.rejected} rejected "
            f"({tally.unusable} queries kept with unusable fields){records_note} → {out_path} "
            f"(rules {matcher.version})"
        )
