"""Splink 5 on DuckDB, set up the usual way, as the reference the benchmarks compare against.

Link-only between records and registrations; names lower-cased and accent-folded in SQL; u by
random sampling, m by EM on three blockings; decisions for a registration's best candidate:
exact p ≥ 0.99, partial 0.5 ≤ p < 0.99, none below.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

EXACT_P, PARTIAL_P = 0.99, 0.5

PREP = """
    CREATE OR REPLACE TABLE {name} AS SELECT
      CAST(id AS VARCHAR) AS unique_id,
      NULLIF(strip_accents(lower(regexp_replace(first_name, '[^[:alpha:]]', '', 'g'))), '') AS first_name,
      NULLIF(strip_accents(lower(regexp_replace(last_name, '[^[:alpha:]]', '', 'g'))), '') AS last_name,
      NULLIF(CAST(date_of_birth AS VARCHAR), '') AS date_of_birth,
      NULLIF(regexp_replace(CAST(ssn AS VARCHAR), '[^0-9]', '', 'g'), '') AS ssn,
      NULLIF(CAST(postcode AS VARCHAR), '') AS postcode,
      NULLIF(lower(email), '') AS email
    FROM read_csv('{path}', all_varchar = true, header = true)
"""

BEST = """
    SELECT q, r, p FROM (
      SELECT CASE WHEN source_dataset_l = 'queries_in' THEN unique_id_l ELSE unique_id_r END AS q,
             CASE WHEN source_dataset_l = 'queries_in' THEN unique_id_r ELSE unique_id_l END AS r,
             match_probability AS p,
             row_number() OVER (
               PARTITION BY CASE WHEN source_dataset_l = 'queries_in' THEN unique_id_l ELSE unique_id_r END
               ORDER BY match_probability DESC) AS n
      FROM {table}) WHERE n = 1
"""


def outcome(p: float) -> str:
    return "exact" if p >= EXACT_P else "partial" if p >= PARTIAL_P else "none"


class SplinkReference:
    def __init__(self, records_csv: Path, queries_csv: Path) -> None:
        import duckdb
        import splink.comparison_library as cl
        from splink import Linker, SettingsCreator, block_on
        from splink.backends.duckdb import DuckDBAPI

        start = time.perf_counter()
        self.con = duckdb.connect()
        self.con.execute(PREP.format(name="records", path=records_csv))
        self.con.execute(PREP.format(name="queries", path=queries_csv))
        self.db_api = DuckDBAPI(self.con)
        self.blocking = [
            block_on("ssn"),
            block_on("date_of_birth", "last_name"),
            block_on("date_of_birth", "first_name"),
            block_on("substr(ssn, 1, 5)", "first_name"),
            block_on("substr(ssn, 6, 4)", "last_name"),
        ]
        settings = SettingsCreator(
            link_type="link_only",
            comparisons=[
                cl.NameComparison("first_name"),
                cl.NameComparison("last_name"),
                cl.DateOfBirthComparison("date_of_birth", input_is_string=True),
                cl.LevenshteinAtThresholds("ssn", [1, 2]),
                cl.ExactMatch("postcode"),
                cl.EmailComparison("email"),
            ],
            blocking_rules_to_generate_predictions=self.blocking,
        )
        self.records = self.db_api.register("records", table_name="records_in")
        queries = self.db_api.register("queries", table_name="queries_in")
        self.linker = Linker([self.records, queries], settings, log_level=logging.ERROR)
        training = self.linker.training
        training.estimate_probability_two_random_records_match([block_on("ssn")], recall=0.95)
        training.estimate_u_using_random_sampling(max_pairs=2e6)
        training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
        training.estimate_parameters_using_expectation_maximisation(block_on("ssn"))
        training.estimate_parameters_using_expectation_maximisation(block_on("first_name", "last_name"))
        self.setup_s = time.perf_counter() - start
        self._one = 0

    def decide_all(self) -> tuple[dict[str, tuple[str, str]], float]:
        """Best candidate per registration, in bulk; returns decisions and seconds taken."""
        start = time.perf_counter()
        predictions = self.linker.inference.predict(threshold_match_probability=0.01)
        rows = self.con.sql(BEST.format(table=predictions.physical_name)).fetchall()
        decisions = {q: (outcome(p), r if outcome(p) != "none" else "") for q, r, p in rows}
        return decisions, time.perf_counter() - start

    def decide_one(self, query_id: str) -> tuple[str, str, float]:
        """One registration against all records, as the wizard would: (outcome, record, ms)."""
        self.con.execute(
            "CREATE OR REPLACE TABLE one_query AS SELECT * FROM queries WHERE unique_id = ?", [query_id]
        )
        self._one += 1
        one = self.db_api.register("one_query", table_name=f"one_query_{self._one}")
        start = time.perf_counter()
        result = self.linker.inference.predict_between(
            one,
            self.records,
            blocking_rules_to_generate_predictions=self.blocking,
            threshold_match_probability=0.01,
        )
        rows = self.con.sql(
            f"SELECT unique_id_r, unique_id_l, match_probability FROM {result.physical_name} "  # noqa: S608
            "ORDER BY match_probability DESC LIMIT 1"
        ).fetchall()
        ms = (time.perf_counter() - start) * 1000
        if not rows:
            return "none", "", ms
        right, left, p = rows[0]
        record = left if right == query_id else right
        return outcome(p), record if outcome(p) != "none" else "", ms
