"""The weekly digest carries the week (issue #21 part 4): the week's row of the INS weeks page as text and
payload, and one inline chart that the e-mail sends as a multipart/related image referenced by cid."""

from __future__ import annotations

import datetime as dt

import pytest

from include.ins_report.alerts.channels import configured_channels
from include.ins_report.alerts.delivery import send_alert
from include.ins_report.alerts.messages.alert import Alert
from include.ins_report.alerts.messages.run import RunFacts
from include.ins_report.alerts.messages.week_digest import CHART_CID, with_week
from include.ins_report.alerts.notifier import InsAlertNotifier
from include.ins_report.config.settings import Settings
from include.ins_report.model.week import ReportWeek
from tests.support.receivers import SmtpReceiver
from tests.support.weeks import seed_week
from tests.unit.test_alerts_channels import smtp_conn

WEEK = ReportWeek(dt.date(2026, 11, 16))
DIGEST = Alert(
    subject="[INS weekly report] OK week 2026-11-16..2026-11-22",
    text="The weekly INS report for week 2026-11-16..2026-11-22 was built.",
    payload={"event": "ins_weekly_report_digest", "text": "..."},
)


@pytest.fixture
def weeks(farm_db):
    seed_week(farm_db, ReportWeek(WEEK.start - dt.timedelta(weeks=1)), temperature=11.0, price=5000.0)
    seed_week(farm_db, WEEK, temperature=10.0, price=5600.0)
    return farm_db


def test_the_notifier_adds_the_week_row_and_its_chart(weeks):
    run = RunFacts(run_id="manual__2026-11-16T00:00:00+00:00", week=WEEK, week_key=WEEK.key)
    digest = InsAlertNotifier("success")._with_week(DIGEST, run, Settings.from_env())
    assert "The week at a glance (http://127.0.0.1:8080/ins-weeks/week/20261116)" in digest.text
    assert "5,600 (+600 vs the week before)  ⚠ outlier" in digest.text  # +12 %
    assert digest.payload["week_row"]["figures"]["price"] == pytest.approx(5600.0)
    assert digest.payload["text"] == digest.text
    assert digest.images[CHART_CID].startswith(b"\x89PNG")
    assert f"<img src='cid:{CHART_CID}'" in digest.html


def test_a_week_without_a_run_leaves_the_digest_as_it_is(farm_db):
    assert with_week(DIGEST, None, None, Settings()) is DIGEST
    run = RunFacts(run_id="r", week=WEEK, week_key=WEEK.key)
    assert InsAlertNotifier("success")._with_week(DIGEST, run, Settings.from_env()) == DIGEST


def test_the_email_carries_the_chart_inline(weeks, monkeypatch):
    run = RunFacts(run_id="manual__2026-11-16T00:00:00+00:00", week=WEEK, week_key=WEEK.key)
    digest = InsAlertNotifier("success")._with_week(DIGEST, run, Settings.from_env())
    with SmtpReceiver() as smtp:
        monkeypatch.setenv("AIRFLOW_CONN_SMTP_ALERTS", smtp_conn(smtp.port))
        monkeypatch.setenv("INS_ALERT_EMAILS", "ops@example.com")
        settings = Settings.from_env()
        assert "email" in configured_channels(settings)
        assert send_alert(digest, settings, ["email"]) == ["email"]
        (mail,) = smtp.messages
    assert mail.get_content_type() == "multipart/related"
    html = mail.get_body(("html",)).get_content()
    assert f"src='cid:{CHART_CID}'" in html
    (image,) = [part for part in mail.iter_attachments() if part["Content-ID"] == f"<{CHART_CID}>"]
    assert image.get_payload(decode=True) == digest.images[CHART_CID]
