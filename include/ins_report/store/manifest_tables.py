"""The week's manifest tables (TS_INS_WEEK_INPUT, TS_INS_WEEK_FARM; include/ins_report/model/manifest.py):
each week's rows replaced as a whole, read back as the model's values. Mixed into ``FarmDatabase``, which
supplies the connection, the dialect's SQL files and the transactions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from include.ins_report.model.clock import now_text
from include.ins_report.model.manifest import InputCell, PlannedFarm

BATCH_SIZE = 5000  # rows per executemany (every write of the farm database)


class ManifestTables:
    transaction: Any  # FarmDatabase's
    sql: Any
    query: Any

    def replace_week_rows(
        self, delete_name: str, insert_name: str, week_key: str, rows: Sequence[dict]
    ) -> int:
        """Replace one week's rows of a manifest table: delete, then insert, in one transaction."""
        with self.transaction() as cursor:
            cursor.execute(self.sql(delete_name), {"report_week": week_key})
            statement = self.sql(insert_name)
            for start in range(0, len(rows), BATCH_SIZE):
                cursor.executemany(statement, list(rows[start : start + BATCH_SIZE]))
        return len(rows)

    def replace_manifest_inputs(self, week_key: str, run_id: str, cells: Sequence[InputCell]) -> int:
        created = now_text()
        rows = [cell.as_row(week_key, run_id, created) for cell in cells]
        return self.replace_week_rows("delete_manifest_inputs", "insert_manifest_input", week_key, rows)

    def replace_manifest_farms(self, week_key: str, run_id: str, farms: Sequence[PlannedFarm]) -> int:
        created = now_text()
        rows = [farm.as_row(week_key, run_id, created) for farm in farms]
        return self.replace_week_rows("delete_manifest_farms", "insert_manifest_farm", week_key, rows)

    def manifest_inputs(self, week_key: str) -> list[InputCell]:
        return [InputCell.from_row(row) for row in self.query("manifest_inputs", {"report_week": week_key})]

    def manifest_farms(self, week_key: str) -> list[PlannedFarm]:
        return [PlannedFarm.from_row(row) for row in self.query("manifest_farms", {"report_week": week_key})]
