"""An alert as the admins receive it (subject, text, JSON payload, the run's link) and the links into the
Airflow UI. Building one is a pure function of the run (alerts/failure.py, digest.py, deadline.py, gaps.py);
sending it is the notifier's (alerts/notifier.py, alerts/channels.py)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

from include.ins_report.config.settings import DAG_ID, Settings
from include.ins_report.model.week import ReportWeek

SLACK_SECTION_LIMIT = 2900  # Slack rejects a section text over 3000 characters
URL = re.compile(r"https?://[^\s<>\"']+")


@dataclass
class Alert:
    subject: str
    text: str
    payload: dict[str, Any] = field(default_factory=dict)
    url: str | None = None  # the run in the Airflow UI, shown as a link where the channel can
    # Inline images (Content-ID -> PNG): the e-mail shows them below the text (multipart/related, cid:).
    images: dict[str, bytes] = field(default_factory=dict)

    @property
    def html(self) -> str:
        body = URL.sub(
            lambda m: f"<a href='{m.group(0)}'>{m.group(0)}</a>", html.escape(self.text, quote=False)
        )
        images = "".join(
            f"<p><img src='cid:{html.escape(cid)}' alt='{html.escape(cid)}'></p>" for cid in self.images
        )
        return f"<pre style='font-family:monospace;white-space:pre-wrap'>{body}</pre>{images}"

    def slack_message(self) -> dict[str, Any]:
        """Slack Block Kit: the subject (and link) on top, the text as preformatted block."""
        head = f"*{self.subject}*" + (f"\n<{self.url}|Open the run in Airflow>" if self.url else "")
        text = self.text if len(self.text) <= SLACK_SECTION_LIMIT else self.text[:SLACK_SECTION_LIMIT] + "\n…"
        return {
            "text": self.subject,  # the notification's fallback text
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": head}},
                {"type": "section", "text": {"type": "mrkdwn", "text": f"```{text}```"}},
            ],
        }

    def redacted(self, redact: Callable[[str], str]) -> Alert:
        """The alert with every text passed through ``redact``: the secrets are looked up above the messages
        (alerts/delivery.py with airflow_edge/secrets.py), which stay below the Airflow layer."""
        return replace(
            self,
            subject=redact(self.subject),
            text=redact(self.text),
            payload=_redact_value(self.payload, redact),
        )


def run_url(settings: Settings, run_id: str) -> str:
    """The run in the Airflow UI."""
    return f"{settings.airflow_base_url}/dags/{DAG_ID}/runs/{quote(run_id, safe='')}"


def payload_head(event: str, run_id: str, url: str, week: ReportWeek | None) -> dict[str, Any]:
    """The fields every alert's JSON payload starts with (webhook receivers key on ``event``)."""
    return {
        "event": event,
        "dag_id": DAG_ID,
        "run_id": run_id,
        "url": url,
        "week_start": week.start.isoformat() if week else None,
        "week_end": week.end.isoformat() if week else None,
    }


def _redact_value(value: Any, redact: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _redact_value(item, redact) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(item, redact) for item in value]
    return value


def task_url(settings: Settings, run_id: str, task_id: str, map_index: int = -1) -> str:
    url = f"{run_url(settings, run_id)}/tasks/{quote(task_id, safe='')}"
    return f"{url}/mapped/{map_index}" if map_index >= 0 else url
