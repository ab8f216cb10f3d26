"""Alerts on failed DAG runs, through real ``airflow dags test`` runs.

A nightly run whose Params name a site that does not exist fails at its first task (a
configuration error is not retried). Its ``on_failure_callback`` (``dags/newsarchive_alerts.py``)
must POST to the webhook of ``NEWSARCHIVE_ALERT_WEBHOOK_URL`` and call the Airflow notifier of
``NEWSARCHIVE_ALERT_NOTIFIER`` (the http provider's ``HttpNotifier`` here, through an
``AIRFLOW_CONN_*`` connection), both served on 127.0.0.1; without either it logs that no alert
was sent.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from benchmarks.support.airflow_harness import AirflowHome
from tests.builders import serving

pytestmark = pytest.mark.slow

NIGHTLY = "newsarchive_nightly"
BAD_CONF = {"sites": ["no-such-site"]}


class Receiver(ThreadingHTTPServer):
    """Records every POST (path, JSON body)."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.posts: list[tuple[str, Any]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        assert isinstance(self.server, Receiver)
        self.server.posts.append((self.path, json.loads(body or b"null")))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with serving(Receiver()) as server:
        yield server


@pytest.fixture(scope="module")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return AirflowHome(tmp_path_factory.mktemp("alerts-template")).setup().db_path


def home_with(tmp_path: Path, template_db: Path, **env: str) -> AirflowHome:
    home = AirflowHome(tmp_path / "airflow", {"NEWSARCHIVE_ARCHIVE_URL": str(tmp_path / "a"),
                                              **env})
    home.db_path.write_bytes(template_db.read_bytes())
    return home


def test_failed_run_alerts_webhook_and_notifier(tmp_path: Path, template_db: Path,
                                                receiver: Receiver) -> None:
    home = home_with(
        tmp_path, template_db,
        NEWSARCHIVE_ALERT_WEBHOOK_URL=f"{receiver.url}/webhook",
        NEWSARCHIVE_ALERT_NOTIFIER="airflow.providers.http.notifications.HttpNotifier",
        NEWSARCHIVE_ALERT_NOTIFIER_ARGS=json.dumps({
            "http_conn_id": "alerts", "endpoint": "/notifier",
            "json": {"msg": "{{ dag.dag_id }} failed: {{ reason }}"}}),
        AIRFLOW_CONN_ALERTS=receiver.url)
    proc = home.dags_test(NIGHTLY, dt.date(2024, 3, 2), conf=BAD_CONF, timeout=300,
                          check=False)
    run = home.dag_runs(NIGHTLY)[-1]
    assert run["state"] == "failed"
    posts = dict(receiver.posts)
    assert set(posts) == {"/webhook", "/notifier"}, (receiver.posts, proc.stdout[-3000:])
    hook = posts["/webhook"]
    assert hook["dag_id"] == NIGHTLY and hook["run_id"] == run["run_id"]
    assert hook["report"] == f"newsarchive report {run['run_id']}"
    assert f"{NIGHTLY} run {run['run_id']} failed" in hook["text"]
    assert posts["/notifier"]["msg"].startswith(f"{NIGHTLY} failed: ")
    assert "alert sent for" in proc.stdout + proc.stderr


def test_failed_run_without_alert_settings_says_so(tmp_path: Path, template_db: Path) -> None:
    home = home_with(tmp_path, template_db)
    proc = home.dags_test(NIGHTLY, dt.date(2024, 3, 2), conf=BAD_CONF, timeout=300,
                          check=False)
    assert home.dag_runs(NIGHTLY)[-1]["state"] == "failed"
    out = proc.stdout + proc.stderr
    assert "no alert sent: set NEWSARCHIVE_ALERT_WEBHOOK_URL" in out, out[-3000:]


def test_bad_notifier_setting_names_the_value(tmp_path: Path, template_db: Path) -> None:
    home = home_with(tmp_path, template_db,
                     NEWSARCHIVE_ALERT_NOTIFIER="airflow.providers.slackish.Nope")
    proc = home.dags_test(NIGHTLY, dt.date(2024, 3, 2), conf=BAD_CONF, timeout=300,
                          check=False)
    out = proc.stdout + proc.stderr
    assert "'airflow.providers.slackish.Nope' cannot be imported" in out, out[-3000:]
