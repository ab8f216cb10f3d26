"""Bad S3 configurations get one clear error and touch nothing (real server, real failures)."""

from __future__ import annotations

import socket

import boto3
import pytest

from benchmarks.support.s3server import S3Server
from pipeline.archive.s3store import S3Store
from pipeline.errors import ArchiveAccessDenied, ArchiveUnavailable, ConfigError
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
