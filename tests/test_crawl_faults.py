"""Faults, traps and SSRF: every one handled and counted; forbidden addresses never reached."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.demo_fixtures import TODAY, Demo, crawl

YESTERDAY = TODAY - dt.timedelta(days=1)


def test_every_fault_is_handled_and_counted(demo: Demo, tmp_path: Path) -> None:
    demo.server.reset_hits()
    demo.forbidden_connections()
    result = crawl(demo, tmp_path, "faulty-gazette", YESTERDAY, timeout=90)
    assert result.returncode == 0, result.output[-3000:]
    report = result.report
    errors, skipped = report["errors"], report["skipped"]
    assert errors["http_500"] == 1
    assert errors["timeout"] == 1  # slow
    assert errors.get("connection_lost", 0) + errors.get("connection_failed", 0) == 1  # reset
    assert errors["data_loss"] == 1  # truncated
    assert errors["redirect_limit"] == 1
    assert errors["decompression_maxsize"] == 1  # gzip bomb
    assert errors["download_maxsize"] == 1  # oversized
    assert skipped["non_html"] == 1
    assert skipped["forbidden_address"] == 1  # redirect to another port of 127.0.0.1
    assert report["refused"]["netguard_loopback"] == 1
    assert report["refused"]["offsite"] == 1  # redirect to 127.0.0.2 (also not allowlisted)
    assert skipped["robots_txt"] >= 1
    assert skipped["listing_page_cap"] >= 1  # the infinite calendar is cut off
    assert report["warnings"]["charset_mismatch"] == 1
    base = demo.server.base_urls["faulty-gazette"]
    assert f"{base}/news/flaky" in report["articles"]  # 503 + Retry-After, then fetched
    assert report["stats"]["retry/delayed_seconds"] >= 1.0
    # the trap and the robots.txt rules were respected
    hits = demo.server.hits
    assert not [p for (s, p) in hits if s == "faulty-gazette" and p.startswith("/private/")]
    calendar = [p for (s, p) in hits if s == "faulty-gazette" and p.startswith("/calendar/")]
    assert 1 < len(calendar) <= 12
    assert demo.forbidden_connections() == 0


def test_resolver_refuses_forbidden_addresses_without_the_middleware(demo: Demo,
                                                                     tmp_path: Path) -> None:
    port = demo.forbidden_sockets[1].getsockname()[1]
    sites = tmp_path / "sites.yaml"
    sites.write_text(f"""sites:
  - id: sneaky
    base_url: http://127.0.0.1:{port}
    discovery:
      - {{kind: listing, url: /}}
""")
    demo.forbidden_connections()
    result = crawl(demo, tmp_path, "sneaky", YESTERDAY, sites_file=sites,
                   settings={"NETGUARD_ENABLED": "0", "ROBOTSTXT_OBEY": "0"})
    assert result.returncode == 0, result.output[-3000:]
    assert result.report["refused"]["resolver_loopback"] >= 1
    assert result.report["errors"]["dns"] == 1
    assert result.report["stats"].get("downloader/response_count", 0) == 0
    assert demo.forbidden_connections() == 0


def test_metadata_address_is_refused_before_any_connection(demo: Demo, tmp_path: Path) -> None:
    sites = tmp_path / "sites.yaml"
    sites.write_text("""sites:
  - id: cloud
    base_url: http://169.254.169.254
    discovery:
      - {kind: listing, url: /latest/meta-data/}
""")
    result = crawl(demo, tmp_path, "cloud", YESTERDAY, sites_file=sites,
                   env={"NEWSARCHIVE_ALLOWED_NETWORKS": "169.254.0.0/16," + demo.allow})
    assert result.returncode == 0, result.output[-3000:]
    assert result.report["skipped"]["forbidden_address"] >= 1
    assert result.report["refused"]["netguard_metadata"] >= 1
    assert result.report["stats"].get("downloader/response_count", 0) == 0
