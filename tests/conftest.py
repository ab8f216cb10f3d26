"""Shared fixtures: archive stores on both backends, the real S3 server, settings."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from benchmarks.support import s3server
from pipeline.archive.s3store import S3Store, make_client
from pipeline.archive.store import ArchiveStore, LocalStore
from pipeline.config.settings import Settings
from tests.demo_fixtures import demo  # noqa: F401 - session fixture of the crawl tests

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def s3() -> Iterator[s3server.S3Server]:
    """The real S3 server (Ceph RGW on 127.0.0.1), started once per session."""
    try:
        server = s3server.start()
    except (RuntimeError, OSError) as exc:
        if IN_CI:
            pytest.fail(f"the S3 server is required in CI and did not start: {exc}")
        pytest.skip(f"no S3 server here: {exc}")
    yield server
    if server.started_here and not os.environ.get("NEWSARCHIVE_TEST_KEEP_S3"):
        server.run("stop")


def s3_settings(server: s3server.S3Server, **overrides: object) -> Settings:
    """Settings pointing at the test server, with short retries."""
    values: dict[str, object] = {
        "s3_endpoint_url": server.endpoint_url, "s3_region": "us-east-1", "s3_max_attempts": 3,
        "s3_connect_timeout": 2.0, "s3_read_timeout": 20.0,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def s3_session(server: s3server.S3Server) -> boto3.session.Session:
    """A boto3 session with the test user's keys (never the developer's own credentials)."""
    return boto3.session.Session(aws_access_key_id=server.access_key,
                                 aws_secret_access_key=server.secret_key,
                                 region_name="us-east-1")


@pytest.fixture
def s3_bucket(s3: s3server.S3Server) -> Iterator[str]:
    """A fresh bucket, emptied and removed after the test."""
    client = make_client(s3_settings(s3), s3_session(s3))
    name = f"t-{uuid.uuid4().hex[:20]}"
    client.create_bucket(Bucket=name)
    yield name
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=name):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            client.delete_objects(Bucket=name, Delete={"Objects": keys})
    client.delete_bucket(Bucket=name)


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ArchiveStore:
    """The archive store under test, once per backend."""
    if request.param == "local":
        return LocalStore(tmp_path / "archive")
    server = request.getfixturevalue("s3")
    bucket = request.getfixturevalue("s3_bucket")
    return S3Store(bucket, "archive/root", s3_settings(server), s3_session(server))


@pytest.fixture
def local_store(tmp_path: Path) -> LocalStore:
    """A local archive in a temporary directory."""
    return LocalStore(tmp_path / "archive")
