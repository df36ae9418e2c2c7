"""What every step receives: the run id, the report week and the settings, and the farm database and job log
they reach through them. The steps (steps.py, weather_steps.py, gate.py, report_step.py) import it from here,
never from each other, so the step modules import downwards only."""

from __future__ import annotations

from dataclasses import dataclass

from include.ins_report.config.settings import Settings
from include.ins_report.joblog import SUCCESS
from include.ins_report.model.week import ReportWeek
from include.ins_report.store.farm_db import FarmDatabase


@dataclass(frozen=True)
class StepContext:
    run_id: str
    week: ReportWeek
    settings: Settings

    @property
    def week_key(self) -> str:
        return self.week.key

    def farm_db(self) -> FarmDatabase:
        return FarmDatabase(self.settings.farm_db_conn_id)

    def log(
        self,
        farm_db: FarmDatabase,
        step: str,
        started_at: str,
        rows: int | None,
        message: str,
        status: str = SUCCESS,
    ) -> None:
        farm_db.log_step(
            run_id=self.run_id,
            report_week=self.week_key,
            step=step,
            status=status,
            started_at=started_at,
            row_count=rows,
            message=message,
        )
