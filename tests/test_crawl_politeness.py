"""Polite and safe defaults; Retry-After and backoff."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from scrapy.settings import Settings as ScrapySettings
from scrapy.utils.test import get_crawler

from spiders.middlewares.retry_backoff import BackoffRetryMiddleware, retry_after_seconds


def project_settings(monkeypatch: pytest.MonkeyPatch) -> ScrapySettings:
    monkeypatch.setenv("NEWSARCHIVE_CONTACT_URL", "https://ops.example/crawler")
    import spiders.settings

    module = importlib.reload(spiders.settings)
    settings = ScrapySettings()
    settings.setmodule(module, priority="project")
    return settings


def test_defaults_are_polite_and_safe(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = project_settings(monkeypatch)
    assert settings.getbool("ROBOTSTXT_OBEY")
    assert settings["ROBOTSTXT_PARSER"] == "scrapy.robotstxt.ProtegoRobotParser"
    assert settings.getbool("AUTOTHROTTLE_ENABLED")
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 2
    assert settings.getfloat("DOWNLOAD_DELAY") >= 1.0
    assert "https://ops.example/crawler" in settings["USER_AGENT"]
    assert settings["USER_AGENT"].startswith("newsarchive/")
    assert not settings.getbool("TELNETCONSOLE_ENABLED")
    assert not settings.getbool("REMOTE_CONTROL_ENABLED")
    assert settings.getint("RETRY_TIMES") == 2  # a timed-out page costs at most 3 requests
    assert settings.getint("SITEMAP_MAX_CHILDREN") == 500
    assert 0 < settings.getint("DOWNLOAD_MAXSIZE") <= 64 * 1024 * 1024
    assert settings.getint("REDIRECT_MAX_TIMES") <= 10
    assert settings.getint("DEPTH_LIMIT") > 0 and settings.getint("URLLENGTH_LIMIT") > 0
    assert settings["TWISTED_DNS_RESOLVER"] == "spiders.resolver.GuardedResolver"
    mws = settings.getdict("DOWNLOADER_MIDDLEWARES")
    assert mws["spiders.middlewares.raw_capture.RawCaptureMiddleware"] > 600  # before 590/600
    assert mws["spiders.middlewares.netguard.NetGuardMiddleware"] < 50


def test_retry_after_parsing() -> None:
    now = dt.datetime(2024, 1, 1, 12, tzinfo=dt.UTC)
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("Mon, 01 Jan 2024 12:00:30 GMT", now) == 30.0
    assert retry_after_seconds("Mon, 01 Jan 2024 11:00:00 GMT", now) == 0.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_backoff_delays() -> None:
    from scrapy import Request
    from scrapy.http import Response

    crawler = get_crawler(settings_dict={"RETRY_BACKOFF_BASE": 1.0, "RETRY_BACKOFF_MAX": 10.0})
    mw = BackoffRetryMiddleware.from_crawler(crawler)
    request = Request("http://example.com/")
    assert mw.delay_for(request, None) == 1.0
    assert mw.delay_for(request.replace(meta={"retry_times": 3}), None) == 8.0
    assert mw.delay_for(request.replace(meta={"retry_times": 9}), None) == 10.0
    busy = Response("http://example.com/", status=503, headers={"Retry-After": "4"})
    assert mw.delay_for(request, busy) == 4.0
    too_long = Response("http://example.com/", status=429, headers={"Retry-After": "3600"})
    assert mw.delay_for(request, too_long) is None
