"""Realistic demo news sites served on loopback, with ground truth (tests, benchmarks, README).

:class:`DemoWorld` decides the articles, :class:`DemoServer` serves them, :func:`sites_yaml`
describes them for the crawler.
"""

from pipeline.demo.config import sites_yaml
from pipeline.demo.server import DEFAULT_PORT, DemoServer, FaultOptions
from pipeline.demo.world import DemoArticle, DemoSite, DemoWorld

__all__ = ["DEFAULT_PORT", "DemoArticle", "DemoServer", "DemoSite", "DemoWorld",
           "FaultOptions", "sites_yaml"]
