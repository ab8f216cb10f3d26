"""The command line's vocabulary and help: one way to say a date range, an example on every -h.

Also the demo's Airflow home: a plain ``AIRFLOW_HOME=... airflow standalone`` (the hint the demo
prints) must see the project's DAGs and no Airflow examples, even over the full default
``airflow.cfg`` Airflow writes on first use.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.cli import build_parser, main
from pipeline.cli.demo import write_airflow_cfg

ROOT = Path(__file__).resolve().parents[1]
AIRFLOW = str(Path(sys.executable).with_name("airflow"))


def all_parsers() -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """Every command and sub-action parser (``crawl``, ``sites check``, ...)."""
    root = build_parser()

    def walk(prefix: str, parser: argparse.ArgumentParser) -> Iterator[tuple[str, Any]]:
        for action in parser._actions:  # argparse keeps subparsers only there
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    yield f"{prefix} {name}".strip(), sub
                    yield from walk(f"{prefix} {name}", sub)

    yield from walk("", root)


def test_every_command_help_has_runnable_looking_examples() -> None:
    found = dict(all_parsers())
    assert {"read", "crawl", "run", "reprocess", "report", "status", "sites", "sites check",
            "demo", "demo-sites", "demo-sites serve", "extract", "config"} <= set(found)
    for name, parser in found.items():
        text = parser.format_help()
        assert "\nexamples:\n" in text, f"newsarchive {name} -h has no examples"
        examples = text.split("\nexamples:\n", 1)[1].splitlines()
        # printed line for line (not re-wrapped), each naming the command it documents
        command = name.split()[0]
        assert any(line.startswith(f"  newsarchive {command}") for line in examples), name
        assert all(len(line) <= 100 for line in examples), name


def test_crawl_takes_since_until_and_hides_the_old_flags() -> None:
    parser = dict(all_parsers())["crawl"]
    help_text = parser.format_help()
    assert "--since" in help_text and "--until" in help_text
    assert "--start" not in help_text and "--end" not in help_text
    new = parser.parse_args(["--site", "s", "--since", "2024-03-01", "--until", "2024-03-02"])
    old = parser.parse_args(["--site", "s", "--start", "2024-03-01", "--end", "2024-03-02"])
    assert (new.since, new.until) == (old.since, old.until)
    assert str(new.since) == "2024-03-01" and str(new.until) == "2024-03-02"


def test_crawl_date_errors_name_the_value(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["crawl", "--site", "metro-wire", "--since", "2024-02-30"])
    assert exc.value.code == 2
    assert "'2024-02-30'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["crawl", "--site", "metro-wire"])
    assert "required: --since" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["crawl", "--site", "metro-wire", "--start", "2024-03-02", "--end", "2024-03-01"])
    assert "--until 2024-03-01 is before --since 2024-03-02" in capsys.readouterr().err


@pytest.mark.parametrize(("argv", "named"), [
    (["status", "--since", "2024-13-01"], "argument --since: '2024-13-01' is not a date"),
    (["read", "--since", "2024-03-01", "--until", "soon"], "argument --until: 'soon'"),
    (["run", "--since", "2024-03-01", "--page-cap", "0"], "argument --page-cap: 0 is below 1"),
    (["run", "--since", "2024-03-01", "--page-cap", "ten"], "--page-cap: 'ten' is not a whole"),
    (["run", "--since", "2024-03-01", "--site", "nosite"], "--site nosite: unknown site"),
    (["demo", "--articles-per-day", "-3"], "argument --articles-per-day: -3 is below 1"),
    (["demo", "--sample", "many"], "argument --sample: 'many' is not a whole number"),
    (["demo", "--timeout", "0"], "argument --timeout: 0 is not more than 0 seconds"),
])
def test_usage_errors_name_the_bad_value(argv: list[str], named: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert named in capsys.readouterr().err


def test_runtime_errors_name_the_bad_value(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    from pipeline.archive.runreport import build_report, write_report
    from pipeline.archive.store import LocalStore

    write_report(LocalStore(tmp_path / "archive"), build_report("r1", [], []))
    archive = ["--archive", str(tmp_path / "archive")]
    assert main(["report", "nosuch", *archive]) == 1
    assert "no run report 'nosuch' in " in capsys.readouterr().err
    page = tmp_path / "missing-dir" / "r.html"
    assert main(["report", "r1", "--html", str(page), *archive]) == 1
    assert f"--html {page}: cannot write the page" in capsys.readouterr().err
    assert main(["report", *archive[:1], str(tmp_path / "empty")]) == 1
    assert "no run reports yet" in capsys.readouterr().err


def airflow(home: Path, *args: str) -> str:
    """``airflow ARGS`` with nothing but AIRFLOW_HOME set, as a user would type it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "NEWSARCHIVE_"))}
    env["AIRFLOW_HOME"] = str(home)
    proc = subprocess.run([AIRFLOW, *args], env=env, cwd=home, capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


@pytest.mark.slow
def test_demo_airflow_home_shows_only_the_project_dags(tmp_path: Path) -> None:
    home = tmp_path / "airflow"
    home.mkdir()
    # a home used before: Airflow's own full default airflow.cfg, examples on
    assert airflow(home, "config", "get-value", "core", "load_examples").strip() == "True"
    before = (home / "airflow.cfg").read_text()
    write_airflow_cfg(home, ROOT / "dags")
    after = (home / "airflow.cfg").read_text()
    assert len(after.splitlines()) == len(before.splitlines())  # edited in place, kept
    assert airflow(home, "config", "get-value", "core", "load_examples").strip() == "False"
    assert airflow(home, "config", "get-value", "core", "dags_folder").strip() == str(
        ROOT / "dags")
    airflow(home, "db", "migrate")
    airflow(home, "dags", "reserialize")
    listing = airflow(home, "dags", "list", "-o", "json").strip().splitlines()[-1]  # after logs
    dags = {d["dag_id"] for d in json.loads(listing)}
    assert dags == {"newsarchive_nightly", "newsarchive_reprocess"}


def test_demo_airflow_cfg_from_scratch(tmp_path: Path) -> None:
    path = write_airflow_cfg(tmp_path, ROOT / "dags")
    text = path.read_text()
    assert "[core]\ndags_folder = " in text and "load_examples = False" in text
    assert f"sql_alchemy_conn = sqlite:///{tmp_path / 'airflow.db'}" in text
    assert write_airflow_cfg(tmp_path, ROOT / "dags").read_text() == text  # idempotent
