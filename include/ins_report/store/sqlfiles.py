"""SQL files per dialect (``include/sql/<dialect>/<name>.sql``); no Airflow import, so tools can use it."""

from __future__ import annotations

import re
from functools import cache

from include.ins_report.config.settings import SQL_DIR


@cache
def load_sql(dialect: str, name: str) -> str:
    return (SQL_DIR / dialect / f"{name}.sql").read_text(encoding="utf-8")


def split_statements(script: str) -> list[str]:
    """Split a plain SQL script on statement-ending semicolons; comment-only chunks are dropped."""
    statements = []
    for chunk in re.split(r";[ \t]*(?:\n|$)", script):
        code = "\n".join(line for line in chunk.splitlines() if not line.strip().startswith("--")).strip()
        if code:
            statements.append(code)
    return statements
