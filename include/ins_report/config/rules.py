"""The rules an ``INS_*`` setting is checked against (include/ins_report/config/settings.py declares which
applies).

A rule turns the environment's text into a value (``parse``) and says whether a value is allowed
(``check``); ``allowed`` is what the operator is told when it is not. Errors are ``ValueError`` with an
optional detail (why this value fails, beyond ``allowed``). Pure: no Airflow, no I/O except whether a
configured file exists.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from include.ins_report.model.decimals import WHOLE, decimal_value

_ORACLE_NAME = r"[A-Za-z][A-Za-z0-9_$#]{0,127}"

ORACLE_IDENTIFIER = re.compile(_ORACLE_NAME, re.ASCII)
ORACLE_PROCEDURE = re.compile(rf"{_ORACLE_NAME}(?:\.{_ORACLE_NAME}){{0,2}}", re.ASCII)
PLAIN_TOKEN = re.compile(r"[A-Za-z0-9_]{1,30}", re.ASCII)
CONN_ID = re.compile(r"[A-Za-z0-9_#!().:/\\-]{1,250}", re.ASCII)  # airflow.models.connection's characters
POOL_NAME = re.compile(r"[A-Za-z0-9_.-]{1,256}", re.ASCII)
CLOCK_TIME = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d", re.ASCII)
STATION_ID = re.compile(r"\d{1,5}", re.ASCII)
USER_ID = re.compile(r"[A-Za-z0-9_.@-]{1,128}", re.ASCII)
EMAIL = re.compile(r"[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+")
SQL_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,127}", re.ASCII)  # unquoted in Oracle and SQLite alike

# strftime codes of a date that render the same everywhere (no locale names, no time of day).
DATE_CODES = "YymdjUWVGuw"
_LITERAL = re.compile(r"[A-Za-z0-9 ._/-]", re.ASCII)
_FORMAT_PART = re.compile(r"%(.?)|(.)", re.DOTALL)


class Rule:
    allowed: str  # what the operator is told is allowed

    def parse(self, text: str) -> Any:
        return text

    def check(self, value: Any) -> None:
        """Raise ValueError (with an optional detail) when ``value`` is not allowed."""

    def read(self, text: str) -> Any:
        value = self.parse(text)
        self.check(value)
        return value


@dataclass(frozen=True)
class Text(Rule):
    allowed: str
    pattern: re.Pattern[str]
    lower: bool = False

    def parse(self, text: str) -> str:
        return text.lower() if self.lower else text

    def check(self, value: Any) -> None:
        if not isinstance(value, str) or not self.pattern.fullmatch(value):
            raise ValueError()


@dataclass(frozen=True)
class Choice(Rule):
    options: tuple[str, ...]

    @property
    def allowed(self) -> str:
        return f"one of {', '.join(self.options)}"

    def parse(self, text: str) -> str:
        return text.lower()

    def check(self, value: Any) -> None:
        if value not in self.options:
            raise ValueError()


class Switch(Rule):
    allowed = "on or off"
    ON = ("on", "true", "yes", "1")
    OFF = ("off", "false", "no", "0")

    def parse(self, text: str) -> bool:
        word = text.lower()
        if word in self.ON or word in self.OFF:
            return word in self.ON
        raise ValueError()

    def check(self, value: Any) -> None:
        if not isinstance(value, bool):
            raise ValueError()


def _note(note: str) -> str:
    return f" ({note})" if note else ""


@dataclass(frozen=True)
class Whole(Rule):
    minimum: int
    note: str = ""

    @property
    def allowed(self) -> str:
        return f"a whole number >= {self.minimum}{_note(self.note)}"

    def parse(self, text: str) -> int:
        if not WHOLE.fullmatch(text):
            raise ValueError()
        return int(text)

    def check(self, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < self.minimum:
            raise ValueError()


@dataclass(frozen=True)
class Number(Rule):
    """A decimal number from ``low`` (inclusive, or exclusive with ``above``) to ``high`` (inclusive)."""

    low: float
    high: float | None = None
    above: bool = False
    note: str = ""

    @property
    def allowed(self) -> str:
        if self.high is not None:
            bounds = f"between {self.low:g} and {self.high:g}"
        else:
            bounds = f"{'>' if self.above else '>='} {self.low:g}"
        return f"a number {bounds}{_note(self.note)}"

    def parse(self, text: str) -> float:
        value = decimal_value(text)  # the strict decimal rule: no exponent, no "inf", no "1_0"
        if value is None:
            raise ValueError()
        return value

    def check(self, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError()
        if value < self.low or (self.above and value == self.low):
            raise ValueError()
        if self.high is not None and value > self.high:
            raise ValueError()


def split_list(text: str) -> list[str]:
    """A comma-separated list: items stripped, empty ones dropped."""
    return [item.strip() for item in text.split(",") if item.strip()]


@dataclass(frozen=True)
class Names(Rule):
    """A comma-separated list of known names (lower case, each once, in the order given)."""

    known: tuple[str, ...]
    what: str
    at_least: int = 0

    @property
    def allowed(self) -> str:
        need = {0: "", 1: "one or more of "}.get(self.at_least, f"at least {self.at_least} of ")
        return f"{need}{self.what} ({', '.join(self.known)}), comma-separated"

    def parse(self, text: str) -> list[str]:
        return list(dict.fromkeys(item.lower() for item in split_list(text)))

    def check(self, value: Any) -> None:
        if not isinstance(value, (list, tuple)) or not all(isinstance(name, str) for name in value):
            raise ValueError()
        unknown = [name for name in value if name.lower() not in self.known]
        if unknown:
            raise ValueError(f"unknown: {', '.join(unknown)}")
        if len(value) < self.at_least:
            raise ValueError()


@dataclass(frozen=True)
class SqlNames(Rule):
    """Column names that are pasted into SQL (an identifier cannot be bound): plain names only (a letter,
    then letters, digits and _; no quotes, no $ or #), upper case, each once; ``single``: exactly one."""

    single: bool = False

    @property
    def allowed(self) -> str:
        what = "a column name" if self.single else "column names, comma-separated and each once"
        return f"{what} (a letter, then letters, digits and _; up to 128)"

    def parse(self, text: str) -> str | list[str]:
        if self.single:
            return text.upper()
        return [item.upper() for item in split_list(text)]

    def check(self, value: Any) -> None:
        names = [value] if self.single else value
        if not isinstance(names, (list, tuple)) or not names:
            raise ValueError()
        bad = [name for name in names if not isinstance(name, str) or not SQL_NAME.fullmatch(name)]
        if bad:
            raise ValueError(f"not a plain column name: {', '.join(map(repr, bad))}")
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"named twice: {', '.join(repeated)}")


class Emails(Rule):
    allowed = "e-mail addresses (name@domain.tld), comma-separated"

    def parse(self, text: str) -> list[str]:
        return split_list(text)

    def check(self, value: Any) -> None:
        if not isinstance(value, (list, tuple)):
            raise ValueError()
        bad = [item for item in value if not isinstance(item, str) or not EMAIL.fullmatch(item)]
        if bad:
            raise ValueError(f"not an address: {', '.join(map(str, bad))}")


class Tokens(Rule):
    """Airflow user ids, comma-separated, or ``*`` for anyone the auth manager lets act on the DAG."""

    allowed = "user ids (letters, digits and _ . @ -), comma-separated, or * for any user of the DAG"

    def parse(self, text: str) -> list[str]:
        return list(dict.fromkeys(split_list(text)))

    def check(self, value: Any) -> None:
        if not isinstance(value, (list, tuple)) or not value:
            raise ValueError()
        if list(value) == ["*"]:
            return
        bad = [item for item in value if not isinstance(item, str) or not USER_ID.fullmatch(item)]
        if bad:
            raise ValueError(f"not a user id: {', '.join(map(str, bad))}")


class BaseUrl(Rule):
    allowed = "an http:// or https:// URL with a host, e.g. https://airflow.example.com"

    def parse(self, text: str) -> str:
        return text.rstrip("/")

    def check(self, value: Any) -> None:
        if not isinstance(value, str) or any(char.isspace() for char in value):
            raise ValueError()
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError()


@dataclass(frozen=True)
class ExistingFile(Rule):
    """An existing file; a relative path is taken from ``base`` (the project root), not the process's
    working directory, which differs between Airflow's processes."""

    base: Path

    @property
    def allowed(self) -> str:
        return "the path of an existing file (a relative one from the project root)"

    def parse(self, text: str) -> Path:
        return self.base / Path(text).expanduser()  # an absolute path stays as it is

    def check(self, value: Any) -> None:
        if not isinstance(value, (str, Path)):
            raise ValueError()
        if not Path(value).is_file():
            raise ValueError("no such file" if not Path(value).exists() else "not a file")


@dataclass(frozen=True)
class Checked(Rule):
    """A text that ``validate`` accepts (it raises ValueError otherwise); its message is the detail."""

    allowed: str
    validate: Callable[[str], object]

    def check(self, value: Any) -> None:
        if not isinstance(value, str):
            raise ValueError()
        try:
            self.validate(value)
        except ValueError as error:
            raise ValueError(str(error)) from None


@dataclass(frozen=True)
class WeekFormat(Rule):
    """A strftime format of the report week's Monday: date codes (``DATE_CODES``) and plain separators only,
    and different weeks must give different texts (else two weeks would build one report)."""

    first_monday: dt.date
    weeks: int = 530  # about ten years of weeks from the first one

    @property
    def allowed(self) -> str:
        codes = " ".join(f"%{code}" for code in DATE_CODES)
        return (
            f"a strftime format of a date ({codes}, %%, letters, digits and ' ._/-') that tells weeks apart"
        )

    def check(self, value: Any) -> None:
        if not isinstance(value, str):
            raise ValueError()
        codes = 0
        for code, literal in _FORMAT_PART.findall(value):
            if literal:
                if not _LITERAL.fullmatch(literal):
                    raise ValueError(f"{literal!r} is not allowed")
            elif code == "%":
                continue
            elif code in DATE_CODES and code:
                codes += 1
            else:
                raise ValueError(f"'%{code}' is not a date code" if code else "a lone % at the end")
        if not codes:
            raise ValueError("no date code")
        mondays = [self.first_monday + dt.timedelta(weeks=n) for n in range(self.weeks)]
        if len({monday.strftime(value) for monday in mondays}) < len(mondays):
            raise ValueError("different weeks give the same text")


def describe(env: str, rule: Rule, shown: str, detail: str = "") -> str:
    """One line of the settings error: the variable, the value and what is allowed."""
    return f"{env} must be {rule.allowed}, got {shown}" + (f" ({detail})" if detail else "")


def problems(checks: Sequence[tuple[str, Rule, Any, str]]) -> list[str]:
    """The lines for the (env, rule, value, shown) that fail their rule's check."""
    found = []
    for env, rule, value, shown in checks:
        try:
            rule.check(value)
        except ValueError as error:
            found.append(describe(env, rule, shown, str(error)))
    return found
