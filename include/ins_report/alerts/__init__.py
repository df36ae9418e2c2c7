"""The admins' alerts: one notifier (``notifier.InsAlertNotifier``), the messages as pure functions of the
run's job log (``failure``, ``digest``, ``gaps``, ``deadline``), the channels that carry them
(``channels``), their delivery, all at once within a time budget (``delivery``), and the alert itself
(``message``)."""

from include.ins_report.alerts.channels import (
    CHANNELS,
    channel_conn_ids,
    configured_channels,
    connection_secrets,
    mask_connection,
    parse_channels,
)
from include.ins_report.alerts.delivery import Delivery, deliver, send_alert
from include.ins_report.alerts.messages.alert import Alert, payload_head, run_url, task_url

__all__ = [
    "CHANNELS",
    "Alert",
    "Delivery",
    "channel_conn_ids",
    "configured_channels",
    "connection_secrets",
    "deliver",
    "mask_connection",
    "parse_channels",
    "payload_head",
    "run_url",
    "send_alert",
    "task_url",
]
