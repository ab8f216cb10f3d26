"""Bad S3 configurations get one clear error and touch nothing (real server, real failures)."""

from __future__ import annotations

import functools
import importlib
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest

from benchmarks.support.s3server import S3Server
from pipeline.archive.s3store import S3Store
from pipeline.archive.store import check_writable
from pipeline.errors import (
    ArchiveAccessDenied,
    ArchiveNotFound,
    ArchiveUnavailable,
    ConfigError,
    PermanentArchiveError,
)
from tests.builders import serving
from tests.conftest import s3_session, s3_settings


def test_missing_bucket(s3: S3Server) -> None:
    store = S3Store("no-such-bucket-newsarchive", "", s3_settings(s3), s3_session(s3))
    with pytest.raises(ConfigError, match="bucket 'no-such-bucket-newsarchive' does not exist"):
        store.put("x", b"1")
    with pytest.raises(ConfigError, match="does not exist"):
        store.get("x")


def test_wrong_credentials(s3: S3Server, s3_bucket: str) -> None:
    good = S3Store(s3_bucket, "", s3_settings(s3), s3_session(s3))
    good.put("keep/me", b"archived")
    bad_session = boto3.session.Session(aws_access_key_id="WRONGKEY00000000000",
                                        aws_secret_access_key="wrong", region_name="us-east-1")
    bad = S3Store(s3_bucket, "", s3_settings(s3), bad_session)
    with pytest.raises(ArchiveAccessDenied, match="access denied"):
        bad.put("keep/me", b"overwrite")
    with pytest.raises(ArchiveAccessDenied):
        bad.delete("keep/me")
    assert good.get("keep/me") == b"archived"


def test_unreachable_endpoint_after_bounded_retries() -> None:
    # a loopback port nobody listens on: connection refused, fast and local
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = s3_settings(S3Server(f"http://127.0.0.1:{port}", "k", "s", {}, False),
                           s3_max_attempts=2, s3_connect_timeout=1.0)
    session = boto3.session.Session(aws_access_key_id="k", aws_secret_access_key="s",
                                    region_name="us-east-1")
    store = S3Store("bucket", "", settings, session)
    with pytest.raises(ArchiveUnavailable, match=f"unreachable after 2 attempts.*127.0.0.1:{port}"):
        store.get("x")
    with pytest.raises(ArchiveUnavailable):
        store.check()


# -- permanent errors are sent once and fail at once; transient ones are retried --------------

def _counting(store: S3Store) -> list[str]:
    """Every HTTP request the store's client sends, by operation."""
    sent: list[str] = []
    store.client.meta.events.register(
        "before-send", lambda request, **_: sent.append(request.method))
    return sent


def _list(store: S3Store, prefix: str) -> list[str]:
    return [info.key for info in store.list(prefix)]


def test_permanent_errors_are_not_retried(s3: S3Server, s3_bucket: str) -> None:
    settings = s3_settings(s3, s3_max_attempts=5)
    # HEAD (check) gets no error body: its cause is the status alone
    cases = {
        "InvalidAccessKeyId|403": S3Store(s3_bucket, "a", settings, boto3.session.Session(
            aws_access_key_id="WRONGKEY00000000000", aws_secret_access_key="wrong",
            region_name="us-east-1")),
        "SignatureDoesNotMatch|403": S3Store(s3_bucket, "a", settings, boto3.session.Session(
            aws_access_key_id=s3.access_key, aws_secret_access_key="not-the-secret",
            region_name="us-east-1")),
        "bucket 'no-such-bucket-newsarchive' does not exist": S3Store(
            "no-such-bucket-newsarchive", "a", settings, s3_session(s3)),
    }
    for cause, store in cases.items():
        sent = _counting(store)
        operations = (functools.partial(store.put, "k", b"1"), functools.partial(store.get, "k"),
                      functools.partial(_list, store, "raw/"), store.check,
                      functools.partial(check_writable, store))
        for operation in operations:
            sent.clear()
            with pytest.raises(PermanentArchiveError, match=cause) as info:
                operation()
            assert len(sent) == 1, (cause, operation, sent)  # one request: no retry
            assert store.url in str(info.value)
    assert isinstance(info.value, ArchiveNotFound) and isinstance(info.value, ConfigError)


def test_check_writable_leaves_nothing_behind(s3: S3Server, s3_bucket: str) -> None:
    store = S3Store(s3_bucket, "root", s3_settings(s3), s3_session(s3))
    sent = _counting(store)
    check_writable(store)
    assert sent == ["PUT", "DELETE"] or sent == ["PUT", "POST"]
    assert list(store.list("")) == []


class _Answer(BaseHTTPRequestHandler):
    """An S3 endpoint that answers every request with one fixed error."""

    status = 503
    code = "SlowDown"
    hits: list[str] = []

    def _reply(self) -> None:
        type(self).hits.append(self.command)
        body = (f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{self.code}</Code>"
                f"<Message>fixed answer</Message></Error>").encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:
        self._reply()

    def do_PUT(self) -> None:
        self._reply()

    def do_HEAD(self) -> None:
        self._reply()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.mark.parametrize(("status", "code", "permanent"), [
    (403, "AccessDenied", True), (503, "SlowDown", False), (500, "InternalError", False),
])
def test_status_decides_retries(status: int, code: str, permanent: bool) -> None:
    handler = type("Answer", (_Answer,), {"status": status, "code": code, "hits": []})
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), handler)) as server:
        endpoint = f"http://127.0.0.1:{server.server_address[1]}"
        settings = s3_settings(S3Server(endpoint, "k", "s", {}, False), s3_max_attempts=3,
                               s3_connect_timeout=1.0, s3_read_timeout=2.0)
        session = boto3.session.Session(aws_access_key_id="k", aws_secret_access_key="s",
                                        region_name="us-east-1")
        store = S3Store("bucket", "", settings, session)
        expected = ArchiveAccessDenied if permanent else ArchiveUnavailable
        with pytest.raises(expected, match="s3://bucket"):
            store.put("x", b"1")
        # permanent: sent once; transient: retried (botocore's max_attempts counts the retries)
        assert len(handler.hits) == 1 if permanent else len(handler.hits) >= 3, handler.hits
        assert isinstance(store_error(store), PermanentArchiveError) is permanent


def store_error(store: S3Store) -> BaseException:
    """The error ``get`` raises."""
    try:
        store.get("x")
    except Exception as exc:
        return exc
    raise AssertionError("no error")


def test_airflow_fails_permanent_archive_errors_without_retries() -> None:
    pytest.importorskip("airflow.sdk")
    from airflow.sdk.exceptions import AirflowFailException

    from benchmarks.support.airflow_harness import DAGS

    sys.path.insert(0, str(DAGS))
    try:
        steps = importlib.import_module("newsarchive_steps")
    finally:
        sys.path.remove(str(DAGS))
    with pytest.raises(AirflowFailException, match="not retried") as info:
        steps.fail_fast(ArchiveAccessDenied("put s3://b/x: access denied"))
    assert isinstance(info.value.__cause__, ArchiveAccessDenied)
    for transient in (ArchiveUnavailable("endpoint unreachable"), OSError("reset")):
        steps.fail_fast(transient)  # returns: the task raises it again and Airflow retries
