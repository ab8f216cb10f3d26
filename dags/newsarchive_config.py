"""The one place the DAGs read Airflow configuration (Variables, connections, task defaults).

The library (``pipeline``) reads only environment variables (``pipeline.config.settings.Settings``).
This module turns Airflow's configuration into those variables for the duration of one task:

=============================  ==================================================================
archive root                   ``NEWSARCHIVE_ARCHIVE_URL`` in the worker environment, else the
                               Airflow Variable ``newsarchive_archive_url``, else the library
                               default (``./archive``)
sites.yaml                     ``NEWSARCHIVE_SITES_FILE``, else the Variable
                               ``newsarchive_sites_file``, else the bundled demo sites
S3 credentials and endpoint    the Airflow connection ``aws_default`` (amazon provider: login =
                               access key, password = secret key, extra ``endpoint_url`` and
                               ``region_name`` for MinIO/Ceph; roles and profiles work too), else
                               the standard AWS variables of the worker
=============================  ==================================================================

Credentials are exported only into the task's own environment (and so into the crawl process it
starts), removed again when the task ends, and never logged. Any other ``NEWSARCHIVE_*`` setting
(docs/configuration.md) is read from the worker environment as it is.

Everything here is cheap at import time: the DAG files import it while they are parsed.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from airflow.sdk import Variable
from airflow.sdk.definitions.retry_policy import ExceptionRetryPolicy, RetryAction, RetryRule

from pipeline.config.settings import Settings

log = logging.getLogger(__name__)

ARCHIVE_URL_VARIABLE = "newsarchive_archive_url"
"""Airflow Variable holding the archive root (``s3://bucket/prefix`` or a local path)."""
SITES_FILE_VARIABLE = "newsarchive_sites_file"
"""Airflow Variable holding the path of ``sites.yaml`` on the workers."""
AWS_CONN_ID = os.environ.get("NEWSARCHIVE_AWS_CONN_ID", "aws_default")
"""Airflow connection with the S3 credentials (amazon provider connection type ``aws``)."""
TAGS = ["newsarchive"]

RETRY_DELAY = timedelta(seconds=float(os.environ.get("NEWSARCHIVE_AIRFLOW_RETRY_DELAY", "300")))
"""First retry delay (seconds in ``NEWSARCHIVE_AIRFLOW_RETRY_DELAY``, default 300 s); doubles
with every further try, up to one hour."""

NOT_TRANSIENT = ExceptionRetryPolicy(rules=[
    RetryRule(exception="pipeline.errors.ConfigError", action=RetryAction.FAIL,
              reason="configuration error (sites.yaml, Params or settings): retrying cannot help"),
])
"""Configuration errors fail at once; everything else (S3 outage, crawl process crash) retries."""

DEFAULT_ARGS: dict[str, Any] = {
    "owner": "newsarchive",
    "retries": 3,
    "retry_delay": RETRY_DELAY,
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(hours=1),
    "retry_policy": NOT_TRANSIENT,
    # setting airflow_task_timeout (NEWSARCHIVE_AIRFLOW_TASK_TIMEOUT), read when the DAG is parsed
    "execution_timeout": timedelta(seconds=Settings.from_env().airflow_task_timeout),
}
"""Task defaults of every newsarchive DAG."""


def _variable(name: str) -> str | None:
    """An Airflow Variable, or ``None`` when it is not set."""
    value = Variable.get(name, default=None)
    return str(value) if value not in (None, "") else None


def archive_url() -> str | None:
    """The archive root for this task (``None``: the library default)."""
    return os.environ.get("NEWSARCHIVE_ARCHIVE_URL") or _variable(ARCHIVE_URL_VARIABLE)


def sites_file() -> str | None:
    """Path of ``sites.yaml`` for this task (``None``: the bundled demo sites)."""
    return os.environ.get("NEWSARCHIVE_SITES_FILE") or _variable(SITES_FILE_VARIABLE)


def aws_environment(conn_id: str = AWS_CONN_ID) -> dict[str, str]:
    """Environment variables for S3 access taken from an Airflow connection.

    Uses the amazon provider's hook, so every kind of credential the connection can hold
    (keys, a profile, an assumed role) ends up as plain temporary keys. Without the connection
    the hook falls back to boto3's default chain (the worker's AWS variables), which gives the
    same result as not exporting anything.

    Args:
        conn_id: The connection id.

    Returns:
        ``AWS_*`` keys and, when the connection names one, ``NEWSARCHIVE_S3_ENDPOINT_URL``.
    """
    from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook

    hook = AwsBaseHook(aws_conn_id=conn_id, client_type="s3")
    session = hook.get_session()
    env: dict[str, str] = {}
    credentials = session.get_credentials()
    if credentials is not None:
        frozen = credentials.get_frozen_credentials()
        env["AWS_ACCESS_KEY_ID"] = frozen.access_key
        env["AWS_SECRET_ACCESS_KEY"] = frozen.secret_key
        if frozen.token:
            env["AWS_SESSION_TOKEN"] = frozen.token
    endpoint = hook.conn_config.get_service_endpoint_url(service_name="s3")
    if endpoint:
        env["NEWSARCHIVE_S3_ENDPOINT_URL"] = str(endpoint)
    region = hook.conn_config.region_name or session.region_name
    if region:
        env["AWS_DEFAULT_REGION"] = str(region)
    log.info("S3 access from connection %r: keys %s, endpoint %s", conn_id,
             "found" if "AWS_ACCESS_KEY_ID" in env else "not found (boto3 default chain)",
             endpoint or "AWS default")
    return env


def task_environment() -> dict[str, str]:
    """Every variable a task must export for the library (archive, sites file, S3 access)."""
    env: dict[str, str] = {}
    url = archive_url()
    if url:
        env["NEWSARCHIVE_ARCHIVE_URL"] = url
    sites = sites_file()
    if sites:
        env["NEWSARCHIVE_SITES_FILE"] = sites
    if (url or "").lower().startswith("s3://"):
        aws = aws_environment()
        if os.environ.get("NEWSARCHIVE_S3_ENDPOINT_URL"):  # an explicit setting wins
            aws.pop("NEWSARCHIVE_S3_ENDPOINT_URL", None)
        env.update(aws)
    return env


@contextmanager
def library_environment() -> Iterator[None]:
    """Export :func:`task_environment` while the block runs, then restore the environment.

    Restoring matters when several tasks share one process (``airflow dags test``). Inside the
    block a task builds the library's ``Settings`` from this environment and passes them down;
    the crawl process it starts inherits the environment (S3 keys).
    """
    values = task_environment()
    saved = {name: os.environ.get(name) for name in values}
    log.info("archive %s", values.get("NEWSARCHIVE_ARCHIVE_URL", "(library default)"))
    os.environ.update(values)
    try:
        yield
    finally:
        for name, old in saved.items():
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old
