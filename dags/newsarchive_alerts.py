"""Alerts when a newsarchive DAG run fails: the DAGs' ``on_failure_callback``.

A run fails when any of its partitions failed for good (after the task's retries) or a step
could not run at all; the run report (``runs/<run id>.json``, ``newsarchive report <run id>``)
then says what failed and why. :data:`ON_FAILURE` sends one alert per failed run through what
the settings name (``docs/configuration.md``; read from the environment of the process that runs
the callback, which in Airflow 3 is the DAG processor, or ``airflow dags test`` itself):

``NEWSARCHIVE_ALERT_WEBHOOK_URL``
    a JSON POST (standard library, no provider needed): ``text`` (one readable line, shown by
    Slack and Mattermost incoming webhooks), ``dag_id``, ``run_id``, ``reason``, ``task_id``,
    ``map_index``, ``logical_date``, ``report`` (the command that shows the run report).
``NEWSARCHIVE_ALERT_NOTIFIER`` and ``NEWSARCHIVE_ALERT_NOTIFIER_ARGS``
    any Airflow notifier class, built with the JSON keyword arguments and called with the
    callback's context: ``airflow.providers.smtp.notifications.smtp.SmtpNotifier`` (installed
    with Airflow's smtp provider), ``airflow.providers.http.notifications.HttpNotifier``, or the
    Slack provider's ``SlackNotifier`` once that provider is installed.

With neither set, the callback logs a warning that names the failed run and these settings, so a
failure is never silent in the logs. A channel that fails is logged with its reason; the others
are still tried, then the callback raises (Airflow logs it and counts a callback exception).
"""

from __future__ import annotations

import importlib
import json
import logging
import urllib.request
from collections.abc import Mapping
from typing import Any

from airflow.sdk import BaseNotifier

log = logging.getLogger(__name__)

WEBHOOK_TIMEOUT = 10.0
"""Seconds a webhook POST may take."""


def failure_details(context: Mapping[str, Any]) -> dict[str, Any]:
    """What an alert says about a failed run, from the callback's context.

    Args:
        context: The DAG callback context (``dag``, ``run_id``, ``reason`` and, when Airflow
            knows it, the last task instance ``ti``).

    Returns:
        A JSON-ready dict with a readable ``text``.
    """
    dag = context.get("dag")
    dag_id = str(getattr(dag, "dag_id", None) or context.get("dag_id") or "?")
    dag_run = context.get("dag_run")
    run_id = str(context.get("run_id") or getattr(dag_run, "run_id", None) or "?")
    ti = context.get("ti") or context.get("task_instance")
    task_id = getattr(ti, "task_id", None)
    map_index = getattr(ti, "map_index", None)
    logical = context.get("logical_date") or getattr(dag_run, "logical_date", None)
    reason = str(context.get("reason") or "failed")
    task = f"{task_id}[{map_index}]" if task_id and map_index not in (None, -1) else task_id
    text = (f"newsarchive: {dag_id} run {run_id} failed ({reason})"
            + (f"; last task {task}" if task else "")
            + f". Details: newsarchive report {run_id}")
    return {"text": text, "dag_id": dag_id, "run_id": run_id, "reason": reason,
            "task_id": task_id, "map_index": map_index,
            "logical_date": str(logical.isoformat()) if logical is not None else None,
            "report": f"newsarchive report {run_id}"}


def post_webhook(url: str, details: Mapping[str, Any], timeout: float = WEBHOOK_TIMEOUT) -> int:
    """POST ``details`` as JSON to ``url``; returns the HTTP status (raises on failure)."""
    if not url.lower().startswith(("http://", "https://")):
        raise ValueError(f"NEWSARCHIVE_ALERT_WEBHOOK_URL {url!r} is not an http(s) URL")
    request = urllib.request.Request(
        url, data=json.dumps(details).encode("utf-8"), method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "newsarchive-alerts"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return int(response.status)


def load_notifier(path: str, args_json: str) -> BaseNotifier:
    """Build the notifier named ``module.Class`` with the keyword arguments in ``args_json``.

    Raises:
        ValueError: The name or the arguments are not usable (the message names the value).
    """
    module_name, _, class_name = path.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ValueError(f"NEWSARCHIVE_ALERT_NOTIFIER {path!r} cannot be imported ({exc}); "
                         "is its provider installed?") from None
    try:
        kwargs = json.loads(args_json) if args_json.strip() else {}
    except json.JSONDecodeError as exc:
        raise ValueError(f"NEWSARCHIVE_ALERT_NOTIFIER_ARGS {args_json!r} is not JSON "
                         f"({exc})") from None
    if not isinstance(kwargs, dict):
        raise ValueError(f"NEWSARCHIVE_ALERT_NOTIFIER_ARGS {args_json!r} is not a JSON object")
    notifier = cls(**kwargs)
    if not callable(notifier):
        raise ValueError(f"NEWSARCHIVE_ALERT_NOTIFIER {path!r} is not a notifier")
    return notifier  # type: ignore[no-any-return]


def call_notifier(notifier: BaseNotifier, context: Any) -> None:
    """Call an Airflow notifier with a DAG callback's context.

    ``airflow dags test`` hands DAG callbacks its serialized DAG, which has no Jinja environment
    to render the notifier's templates with; a plain sandboxed one does the same work there.
    """
    dag = context.get("dag")
    if dag is None or hasattr(dag, "get_template_env"):
        notifier(context)
        return
    from jinja2.sandbox import SandboxedEnvironment

    notifier.render_template_fields(context, jinja_env=SandboxedEnvironment(cache_size=0))
    notifier.notify(context)


class RunFailureNotifier:
    """Send one alert for a failed run through the channels the settings configure.

    A plain callable rather than a :class:`BaseNotifier`: it has no templates to render, and so
    it works with any context Airflow gives a DAG callback.
    """

    def __call__(self, context: Any) -> None:
        """Send the alert (see the module documentation for the channels).

        Raises:
            RuntimeError: A configured channel failed (after every channel was tried).
        """
        from pipeline.config.settings import Settings

        settings = Settings.from_env()
        details = failure_details(context)
        sent: list[str] = []
        errors: list[str] = []
        if settings.alert_webhook_url:
            try:
                status = post_webhook(settings.alert_webhook_url, details)
                sent.append(f"webhook (HTTP {status})")
            except Exception as exc:
                errors.append(f"webhook: {exc}")
        if settings.alert_notifier:
            try:
                call_notifier(load_notifier(settings.alert_notifier,
                                            settings.alert_notifier_args), context)
                sent.append(settings.alert_notifier)
            except Exception as exc:
                errors.append(f"{settings.alert_notifier}: {exc}")
        if sent:
            log.info("alert sent for %s via %s", details["run_id"], ", ".join(sent))
        elif not errors:
            log.warning("%s; no alert sent: set NEWSARCHIVE_ALERT_WEBHOOK_URL or "
                        "NEWSARCHIVE_ALERT_NOTIFIER (docs/operations.md, Alerts)",
                        details["text"])
        if errors:
            for error in errors:
                log.error("alert for %s not delivered: %s", details["run_id"], error)
            raise RuntimeError(f"alert for {details['run_id']} not delivered: "
                               + "; ".join(errors))


ON_FAILURE = RunFailureNotifier()
"""The ``on_failure_callback`` of every newsarchive DAG."""
