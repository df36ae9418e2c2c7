"""The admins' alerts: the messages as pure functions of a run's facts and job log (``messages/``), and
their delivery, which is Airflow's: one notifier (``notifier.py``), the deadline (``deadline.py``), the
provider hooks that carry them (``channels.py``), all channels at once within a time budget
(``delivery.py``). Empty on purpose: importing ``alerts.messages`` must not import Airflow."""
