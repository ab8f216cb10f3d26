"""Doc-check: every shell example of the README and of docs/*.md runs, and exits 0.

The examples are the fenced blocks marked ``sh``, ``bash``, ``shell`` or ``console`` (in a
``console`` block, the lines starting with ``$ ``), indented ones (in a list) included. They run
with ``bash -e -o pipefail`` from a directory that looks like a checkout after the README's main
command: ``.venv`` and ``config`` of this checkout, and ``archive`` built once per session by
``newsarchive demo --date 2024-03-01`` (the demo sites, a real Airflow ``dags test`` run), which
is the date the examples use.

A block that is not meant to run here (it needs a running Airflow, a Kubernetes cluster, or it is
the demo itself) is marked on the line before its fence, with the reason::

    <!-- doc-check: skip (needs a running Airflow deployment) -->

(docs/operations.md, "Docs that run", says the same for writers.)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.demo_fixtures import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<lang>sh|bash|shell|console)[ \t]*\n"
                   r"(?P<body>.*?)^(?P=indent)```[ \t]*$", re.MULTILINE | re.DOTALL)
SKIP = re.compile(r"<!--\s*doc-check:\s*skip\s*\((?P<reason>[^)]+)\)\s*-->")
"""The marker of a block not to run, with its reason."""
DEMO_DATE = "2024-03-01"
"""The day the demo archive holds: the examples' date."""


@dataclass(frozen=True)
class Example:
    """One shell block of a doc."""

    doc: Path
    line: int
    script: str
    skip: str | None  # the marker's reason

    @property
    def id(self) -> str:
        return f"{self.doc.relative_to(ROOT)}:{self.line}"


def _script(lang: str, body: str, indent: str) -> str:
    lines = [line[len(indent):] if line.startswith(indent) else line
             for line in body.splitlines()]
    if lang == "console":
        lines = [line[2:] for line in lines if line.startswith("$ ")]
    return "\n".join(lines) + "\n"


def examples() -> list[Example]:
    """Every shell block of the README and docs/*.md, in order."""
    found = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            before = text[:match.start()].rstrip("\n").rsplit("\n", 1)[-1]
            marker = SKIP.search(before)
            found.append(Example(doc, text.count("\n", 0, match.start()) + 1,
                                 _script(match["lang"], match["body"], match["indent"]),
                                 marker["reason"].strip() if marker else None))
    return found


EXAMPLES = examples()


@pytest.fixture(scope="session")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A directory like a checkout after ``newsarchive demo``: .venv, config and the archive."""
    root = tmp_path_factory.mktemp("doc-check")
    demo = subprocess.run(
        [sys.executable, "-m", "pipeline", "demo", "--archive", str(root / "archive"),
         "--airflow-home", str(root / ".airflow"), "--date", DEMO_DATE, "--sample", "1",
         "--timeout", "900"],
        cwd=root, env=_env(), capture_output=True, text=True, timeout=1200, check=False)
    assert demo.returncode == 0, (demo.stdout[-3000:], demo.stderr[-3000:])
    for name in (".venv", "config"):
        (root / name).symlink_to(ROOT / name)
    yield root


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("NEWSARCHIVE_", "AIRFLOW", "AWS_"))}
    env["PATH"] = f"{ROOT / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env.pop("COLUMNS", None)
    return env


def test_the_docs_have_examples_and_every_skip_has_a_reason() -> None:
    assert len([e for e in EXAMPLES if e.doc.name == "README.md"]) >= 2
    assert [e for e in EXAMPLES if e.skip is None], "no example is run"
    for example in EXAMPLES:
        assert example.script.strip(), f"{example.id}: empty block"
    # a marker that is not right before a fence is a mistake (it would skip nothing)
    for doc in DOCS:
        lines = doc.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            if line.lstrip().startswith("<!--") and "doc-check" in line:
                assert SKIP.search(line), f"{doc.name}:{i + 1}: malformed marker: {line}"
                assert i + 1 < len(lines) and lines[i + 1].lstrip().startswith("```"), \
                    f"{doc.name}:{i + 1}: the marker is not on the line before a fence"


@pytest.mark.slow  # the session's demo archive: one Airflow run of the demo, a few minutes
@pytest.mark.parametrize("example", [e for e in EXAMPLES if e.skip is None],
                         ids=lambda e: e.id)
def test_doc_example_runs(example: Example, checkout: Path) -> None:
    proc = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", example.script], cwd=checkout,
                          env=_env(), capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, (f"{example.id} exited {proc.returncode}:\n{example.script}\n"
                                  f"stdout: {proc.stdout[-2000:]}\nstderr: {proc.stderr[-2000:]}")
