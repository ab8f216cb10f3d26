"""Start and stop the real S3 server (Ceph RGW on 127.0.0.1) for the tests and benchmarks.

The server is started once per test session with ``scripts/s3-server.sh``. A server already
running on the same port (another session, a developer's) is reused and left running.
In CI (``CI=true``) a server that does not start fails the run instead of skipping.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "s3-server.sh"


@dataclass
class S3Server:
    """A running S3 endpoint with a test user's keys."""

    endpoint_url: str
    access_key: str
    secret_key: str
    env: dict[str, str]
    started_here: bool

    def run(self, command: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        """Run a command of the server script (start, stop, rgw-stop, rgw-start)."""
        return subprocess.run(
            ["bash", str(SCRIPT), command], env=self.env, capture_output=True, text=True,
            timeout=timeout, check=False,
        )


def server_env() -> dict[str, str]:
    """Ports and directory of the test server (overridable through the environment)."""
    port = os.environ.get("NEWSARCHIVE_TEST_RGW_PORT", "7480")
    env = dict(os.environ)
    env.setdefault("RGW_PORT", port)
    env.setdefault("MON_PORT", os.environ.get("NEWSARCHIVE_TEST_MON_PORT", "3300"))
    env.setdefault("OSD_PORT_MIN", os.environ.get("NEWSARCHIVE_TEST_OSD_PORT_MIN", "6800"))
    env.setdefault("WITH_MGR", "0")  # S3 works without the manager; saves memory and seconds
    env.setdefault("FAST_STOP", "1")
    env.setdefault("INSTALL", "1")
    return env


def start() -> S3Server:
    """Start (or reuse) the server; raises RuntimeError with the script's output on failure."""
    env = server_env()
    status = subprocess.run(["bash", str(SCRIPT), "status"], env=env, capture_output=True,
                            text=True, check=False, timeout=30)
    started_here = status.returncode != 0
    proc = subprocess.run(["bash", str(SCRIPT), "start"], env=env, capture_output=True,
                          text=True, timeout=600, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"S3 server did not start:\n{proc.stderr[-3000:]}")
    values = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
    return S3Server(values["S3_ENDPOINT_URL"], values["AWS_ACCESS_KEY_ID"],
                    values["AWS_SECRET_ACCESS_KEY"], env, started_here)
