"""``report --html`` and ``status --html``: one self-contained page, looked at in Chromium.

The pages are written by the CLI from a real archive (:func:`make_archive`), then opened by
headless Chromium (the Debian ``chromium`` package, in ``scripts/test.sh``'s apt list): once to
dump the DOM it built (one ``rect.bar`` per site-day), once to take a screenshot (kept in the
test's tmp dir, never in the repository), whose pixels must show the chart's green bars and red
failure marks on a non-blank page.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from collections import Counter
from pathlib import Path

import pytest

from pipeline.archive.runreport import build_report, write_report
from pipeline.archive.store import LocalStore
from pipeline.cli import main
from tests.builders import DAY
from tests.test_report_status import make_archive

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BAR = re.compile(r'<rect class="bar (?P<state>\w+)" data-site="(?P<site>[^"]*)" '
                 r'data-date="(?P<date>[^"]*)" data-articles="(?P<articles>\d+)"')
GREEN, RED = (0x2E, 0x7D, 0x32), (0xB0, 0x00, 0x20)
"""The chart's colours of a committed bar and of a failure (pipeline/cli/html.py)."""


def chromium(page: Path, profile: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    """Headless Chromium on a local file, its own profile, bounded in time."""
    assert CHROMIUM, "chromium is not installed (scripts/test.sh installs the Debian package)"
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--no-first-run", f"--user-data-dir={profile}", *flags, page.as_uri()],
        capture_output=True, text=True, timeout=120, check=True)


def png_pixels(path: Path) -> tuple[int, int, list[tuple[int, int, int]]]:
    """Width, height and RGB pixels of an 8-bit RGB(A) non-interlaced PNG (Chromium's)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = chunk
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    bpp = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(idat), width * bpp
    rows: list[bytearray] = []
    prev = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + b) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(line)
        prev = line
    pixels = [(r[i], r[i + 1], r[i + 2]) for r in rows for i in range(0, stride, bpp)]
    return width, height, pixels


def look(page: Path, tmp_path: Path) -> tuple[str, Counter[tuple[int, int, int]]]:
    """The DOM Chromium built from the page, and the colours of its screenshot."""
    dom = chromium(page, tmp_path / "profile", "--dump-dom").stdout
    shot = tmp_path / "screenshots" / (page.stem + ".png")
    shot.parent.mkdir(exist_ok=True)
    chromium(page, tmp_path / "profile", "--window-size=1000,1400", f"--screenshot={shot}")
    width, height, pixels = png_pixels(shot)
    assert (width, height) == (1000, 1400)
    return dom, Counter(pixels)


def self_contained(html: str) -> None:
    """Nothing to fetch: no script, stylesheet, image, font or link of any kind."""
    for needle in ("<script", "<link", "<img", "<iframe", "src=", "href=", "url(", "@import",
                   "http://", "https://"):
        assert needle not in html.lower(), needle


def test_report_html_page_has_the_table_and_one_bar_per_site_day(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive = make_archive(tmp_path / "archive")
    page = tmp_path / "report.html"
    assert main(["report", "--archive", str(archive), "r1", "--html", str(page)]) == 1
    assert f"wrote {page}" in capsys.readouterr().err
    html = page.read_text()
    dom, colours = look(page, tmp_path)
    # the table: the same rows and columns as the terminal's
    for head in ("verdict", "articles", "unique", "duplicates", "failures", "duration"):
        assert "<th" in dom and f">{head}</th>" in dom, head
    assert re.search(rf"<td>{DAY}</td><td>a</td><td class=\"published\">published</td>"
                     r"<td class=\"num\">2</td>", dom), dom
    assert "1 min 18 s" in dom and "stages: crawl 1 min 20 s, extract 3.5 s" in dom
    # the chart: one bar per site-day, the failed one marked
    bars = [m.groupdict() for m in BAR.finditer(dom)]
    assert [(b["site"], b["date"], b["state"], b["articles"]) for b in bars] == [
        ("a", str(DAY), "published", "2"), ("b", str(DAY), "partial", "1"),
        ("c", str(DAY), "failed", "0")]
    assert dom.count('class="failure"') == 1
    assert "discovery_failed" in dom and "ANOMALY" in dom
    # the screenshot: a page, not a blank, with green bars and the red failure mark
    white = colours[(255, 255, 255)]
    assert white < sum(colours.values()) * 0.97, "blank screenshot"
    assert colours[GREEN] > 100 and colours[RED] > 20, colours.most_common(8)
    self_contained(html.replace(
        "http://127.0.0.1:9/feed.xml", ""))  # the failure's reason names a URL, as text


def test_status_html_page_marks_missing_days(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    archive = make_archive(tmp_path / "archive")
    page = tmp_path / "status.html"
    assert main(["status", "--archive", str(archive), "--html", str(page), "--json"]) == 0
    assert '"site_days":9' in capsys.readouterr().out  # --html goes with the table or JSON
    dom, colours = look(page, tmp_path)
    bars = [m.groupdict() for m in BAR.finditer(dom)]
    # a: 8 days (DAY-3 missing); b: DAY only (its range is its one committed day)
    assert len(bars) == 9
    assert [b["state"] for b in bars if b["site"] == "a"].count("missing") == 1
    assert dom.count('class="failure"') == 1
    assert re.search(r"<td>a</td><td>[\d-]+</td><td class=\"complete\">complete</td>"
                     r"<td class=\"num\">2</td><td class=\"num\">1</td>"
                     r"<td class=\"failed\">ANOMALY</td>", dom), dom
    assert colours[GREEN] > 100 and colours[RED] > 20
    self_contained(page.read_text())


def test_page_escapes_every_value(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "archive")
    hostile = '<img src=x onerror="alert(1)">'
    doc = build_report("r-esc", [{"site": "s&<i>", "date": str(DAY)}], [], [
        {"site": "s&<i>", "date": str(DAY), "stage": "crawl", "error": hostile}])
    write_report(store, doc)
    page = tmp_path / "r.html"
    assert main(["report", "--archive", str(tmp_path / "archive"), "r-esc",
                 "--html", str(page)]) == 1
    html = page.read_text()
    assert hostile not in html and "<i>" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    dom = chromium(page, tmp_path / "profile", "--dump-dom").stdout
    assert "<img" not in dom and 'data-site="s&amp;&lt;i&gt;"' in dom


def test_html_to_an_unwritable_path_names_it(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    archive = make_archive(tmp_path / "archive")
    bad = tmp_path / "no" / "such" / "dir" / "r.html"
    assert main(["report", "--archive", str(archive), "r1", "--html", str(bad)]) == 1
    assert f"--html {bad}: cannot write the page" in capsys.readouterr().err
