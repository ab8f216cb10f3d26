"""``newsarchive run`` and ``newsarchive reprocess``: the pipeline from the command line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipeline.archive.reader import iter_articles
from pipeline.archive.store import LocalStore
from pipeline.cli import main
from tests.demo_fixtures import FAST, TODAY, Demo

DAY = TODAY - dt.timedelta(days=1)


@pytest.fixture
def env(demo: Demo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSARCHIVE_ALLOWED_NETWORKS", demo.allow)
    monkeypatch.setenv("NEWSARCHIVE_CRAWL_TODAY", str(TODAY))
    monkeypatch.setenv("NEWSARCHIVE_CRAWL_SETTINGS", ",".join(f"{k}={v}" for k, v in FAST.items()))
    monkeypatch.setenv("NEWSARCHIVE_EXTRACT_WORKERS", "1")


@pytest.mark.usefixtures("env")
def test_run_then_rerun_then_reprocess(demo: Demo, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    archive = tmp_path / "archive"
    args = ["--sites-file", str(demo.sites_file), "--archive", str(archive)]
    assert main(["run", "--since", str(DAY), "--site", "metro-wire", "--run-id", "r1",
                 *args]) == 0
    out = capsys.readouterr().out
    assert "run r1 (manual): OK" in out and "published 1" in out
    rows = list(iter_articles(LocalStore(archive), DAY, DAY))
    assert len(rows) == len(demo.world.expected("metro-wire", DAY, DAY))

    assert main(["run", "--since", str(DAY), "--site", "metro-wire", "--run-id", "r2",
                 *args]) == 0
    assert "complete 1" in capsys.readouterr().out  # already committed: nothing crawled

    assert main(["reprocess", "--since", str(DAY), "--until", str(DAY), "--archive",
                 str(archive), "--run-id", "re1"]) == 0
    out = capsys.readouterr().out
    assert "run re1 (reprocess): OK" in out and "unchanged 1" in out


def test_run_with_bad_input_is_a_clear_error(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    archive = tmp_path / "archive"
    assert main(["run", "--since", str(DAY), "--sites-file", str(tmp_path / "missing.yaml"),
                 "--archive", str(archive)]) == 1
    assert "missing.yaml: cannot read sites file" in capsys.readouterr().err
    broken = tmp_path / "sites.yaml"
    broken.write_text("sites:\n  - id: x\n    base_url: nope\n")
    assert main(["run", "--since", str(DAY), "--sites-file", str(broken),
                 "--archive", str(archive)]) == 1
    assert "site 'x': base_url" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["run", "--since", str(DAY), "--until", str(DAY - dt.timedelta(days=1))])
    assert "before --since" in capsys.readouterr().err
    assert not archive.exists()  # nothing written for bad input


@pytest.mark.usefixtures("env")
def test_run_crawls_each_site_once_per_window(demo: Demo, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """Three days in windows of two: two crawl processes, the feed read once by each."""
    monkeypatch.setenv("NEWSARCHIVE_CRAWL_WINDOW_DAYS", "2")
    archive = tmp_path / "archive"
    first = DAY - dt.timedelta(days=2)
    before = {p: demo.server.hits[("metro-wire", p)] for p in ("/robots.txt", "/feed.xml")}
    assert main(["run", "--since", str(first), "--until", str(DAY), "--site", "metro-wire",
                 "--sites-file", str(demo.sites_file), "--archive", str(archive),
                 "--run-id", "w1"]) == 0
    assert "published 3" in capsys.readouterr().out
    # Scrapy reads robots.txt once per crawl process; the feed's first page once per crawl
    assert {p: demo.server.hits[("metro-wire", p)] - n for p, n in before.items()} == {
        "/robots.txt": 2, "/feed.xml": 2}
    for n in range(3):
        day = first + dt.timedelta(days=n)
        rows = list(iter_articles(LocalStore(archive), day, day))
        assert {r.url.split("/", 3)[3] for r in rows} == {
            a.path.lstrip("/") for a in demo.world.expected("metro-wire", day, day)}, day
