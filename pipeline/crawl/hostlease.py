"""The host leases of one site's crawl (:mod:`pipeline.archive.lease`), from its settings."""

from __future__ import annotations

from pipeline.archive.lease import HostLeases, lease_hosts
from pipeline.archive.store import ArchiveStore
from pipeline.config.settings import Settings
from pipeline.config.sites import load_sites


def site_leases(store: ArchiveStore, settings: Settings, site_id: str, *, owner: str,
                sites_file: str | None = None, poll: float = 2.0) -> HostLeases:
    """The leases a crawl of ``site_id`` holds while it runs (use as a context manager).

    Args:
        store: The archive the crawl writes to (every worker shares it).
        settings: ``host_lease_wait`` and ``host_lease_ttl``; ``sites_file`` names the sites.
        site_id: The site.
        owner: Who crawls: ``<run id>/<site>``.
        sites_file: ``sites.yaml`` (default: the ``sites_file`` setting, else the bundled one).
        poll: Seconds between attempts while another crawl holds a host.

    Raises:
        ConfigError: The site is unknown or invalid.
    """
    site = load_sites(sites_file or settings.sites_file or None).get(site_id)
    return HostLeases(store, lease_hosts(site.base_url, site.allowed_domains), owner=owner,
                      ttl=settings.host_lease_ttl, wait=settings.host_lease_wait, poll=poll)
