"""pywb, the replay tool of web archives, run on our WARC files (from .venv-pywb).

scripts/test.sh installs it (``WITH_PYWB=1 scripts/bootstrap.sh``) in a venv of its own: pywb
pins werkzeug and redis versions that Airflow does not accept.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks.support.airflow_harness import free_port
from tests.demo_fixtures import ROOT

PYWB_BIN = ROOT / ".venv-pywb" / "bin"
MISSING = f"pywb is not installed in {PYWB_BIN.parent}: run WITH_PYWB=1 scripts/bootstrap.sh"


def cdx_index(*warcs: Path) -> list[dict[str, str]]:
    """pywb's CDXJ index of the files: one dict per indexed record (url, mime, status, ...)."""
    assert (PYWB_BIN / "cdx-indexer").exists(), MISSING
    out = subprocess.run([str(PYWB_BIN / "cdx-indexer"), "-j", *map(str, warcs)],
                         capture_output=True, text=True, check=True, timeout=120).stdout
    rows = []
    for line in out.splitlines():
        _key, timestamp, fields = line.split(" ", 2)
        rows.append({"timestamp": timestamp, **json.loads(fields)})
    return rows


@dataclass(frozen=True)
class Replay:
    """One response from the wayback server."""

    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Wayback:
    """A running wayback server with one collection (``c``) of our WARC files."""

    base: str

    def get(self, timestamp: str, url: str) -> Replay:
        """The archived response of ``url`` nearest ``timestamp`` (``id_``: as archived)."""
        try:
            with urllib.request.urlopen(f"{self.base}/c/{timestamp}id_/{url}", timeout=30) as r:
                return Replay(r.status, dict(r.headers), r.read())
        except urllib.error.HTTPError as err:
            return Replay(err.code, dict(err.headers), err.read())


@contextmanager
def wayback(workdir: Path, *warcs: Path) -> Iterator[Wayback]:
    """Index ``warcs`` into a pywb collection and serve it on 127.0.0.1 while inside."""
    assert (PYWB_BIN / "wayback").exists(), MISSING
    workdir.mkdir(parents=True, exist_ok=True)
    manager = str(PYWB_BIN / "wb-manager")
    subprocess.run([manager, "init", "c"], cwd=workdir, check=True, capture_output=True,
                   timeout=60)
    subprocess.run([manager, "add", "c", *map(str, warcs)], cwd=workdir, check=True,
                   capture_output=True, timeout=120)
    port = free_port()
    log = (workdir / "wayback.log").open("wb")
    proc = subprocess.Popen([str(PYWB_BIN / "wayback"), "-p", str(port), "-b", "127.0.0.1"],
                            cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base}/c/", timeout=2).close()
                break
            except (urllib.error.URLError, OSError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("wayback did not start: "
                                       + (workdir / "wayback.log").read_text()[-2000:]) from None
                time.sleep(0.2)
        yield Wayback(base)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        shutil.rmtree(workdir / "collections", ignore_errors=True)
