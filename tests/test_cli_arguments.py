"""Bad arguments are refused with exit 2 and a message naming the bad value; nothing is written.

Each command runs in-process through :func:`pipeline.cli.main` with the real sites file and a
real archive (a local directory with one committed partition for ``read``).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from pipeline.cli import main
from tests.demo_fixtures import FAST, TODAY, Demo

DAY = TODAY - dt.timedelta(days=1)


def usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run the CLI, assert it exits 2, return its stderr."""
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    return capsys.readouterr().err


@pytest.fixture
def env(demo: Demo, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("NEWSARCHIVE_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("NEWSARCHIVE_SITES_FILE", str(demo.sites_file))
    monkeypatch.setenv("NEWSARCHIVE_ALLOWED_NETWORKS", demo.allow)
    monkeypatch.setenv("NEWSARCHIVE_CRAWL_TODAY", str(TODAY))
    monkeypatch.setenv("NEWSARCHIVE_CRAWL_SETTINGS", ",".join(f"{k}={v}" for k, v in FAST.items()))
    monkeypatch.setenv("NEWSARCHIVE_EXTRACT_WORKERS", "1")


@pytest.mark.usefixtures("env")
def test_page_cap_below_one_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive = tmp_path / "archive"
    for bad in ("0", "-5"):
        err = usage_error(["run", "--since", str(DAY), "--site", "metro-wire", "--archive",
                           str(archive), "--page-cap", bad], capsys)
        assert f"--page-cap: {bad} is below 1" in err
    err = usage_error(["run", "--since", str(DAY), "--page-cap", "lots"], capsys)
    assert "'lots' is not a whole number" in err
    assert not archive.exists()


@pytest.mark.usefixtures("env")
def test_dates_the_wrong_way_round_are_refused(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    archive = tmp_path / "archive"
    before = str(DAY - dt.timedelta(days=3))
    err = usage_error(["run", "--since", str(DAY), "--until", before, "--archive",
                       str(archive)], capsys)
    assert f"--until {before} is before --since {DAY}" in err
    err = usage_error(["crawl", "--site", "metro-wire", "--since", str(DAY), "--until", before,
                       "--archive", str(archive)], capsys)
    assert f"--until {before} is before --since {DAY}" in err
    err = usage_error(["reprocess", "--since", str(DAY), "--until", before, "--archive",
                       str(archive)], capsys)
    assert "is before --since" in err
    err = usage_error(["read", "--since", str(DAY), "--until", before, "--archive",
                       str(archive)], capsys)
    assert "is before --since" in err
    assert not archive.exists()


@pytest.mark.usefixtures("env")
def test_unknown_site_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive = tmp_path / "archive"
    for argv in (["run", "--since", str(DAY), "--site", "metro-wire", "--site", "nosuch"],
                 ["crawl", "--site", "nosuch", "--since", str(DAY)],
                 ["reprocess", "--since", str(DAY), "--until", str(DAY), "--site", "nosuch"]):
        err = usage_error([*argv, "--archive", str(archive)], capsys)
        assert "--site nosuch: unknown site" in err, (argv, err)
        assert "metro-wire" in err  # the sites that exist are listed
    assert not (archive / "raw").exists() and not (archive / "manifests").exists()


@pytest.mark.usefixtures("env")
def test_read_names_a_site_missing_from_the_archive(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    archive = tmp_path / "archive"
    assert main(["run", "--since", str(DAY), "--site", "metro-wire", "--run-id", "r1",
                 "--archive", str(archive)]) == 0
    capsys.readouterr()
    err = usage_error(["read", "--since", str(DAY), "--until", str(DAY), "--site", "nosuch",
                       "--archive", str(archive)], capsys)
    assert f"--site nosuch: no committed partition of this site in {archive}" in err
    assert "sites in the archive: metro-wire" in err
    # a site that is archived, on a day without a partition: an empty answer, not an error
    assert main(["read", "--since", "2001-01-01", "--until", "2001-01-02", "--site",
                 "metro-wire", "--archive", str(archive)]) == 0
    assert capsys.readouterr().out == ""
    assert main(["read", "--since", str(DAY), "--until", str(DAY), "--site", "metro-wire",
                 "--archive", str(archive), "--limit", "1"]) == 0
    assert '"site":"metro-wire"' in capsys.readouterr().out
