"""The payload digests the crawl keeps besides WARCs.

``index/payloads/site=<site>/<partition>.json``
(:func:`pipeline.archive.layout.payload_index_key`) holds the payload digests a crawl archived
(digest -> [target URI, WARC-Date]); the next crawls of the site read the last
:data:`LOOKBACK_DAYS` days of them so identical payloads become WARC ``revisit`` records.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping

from pipeline.errors import ObjectNotFound
from pipeline.archive.layout import payload_index_key
from pipeline.archive.store import ArchiveStore

log = logging.getLogger(__name__)

LOOKBACK_DAYS = 30
"""Days of payload digests loaded at crawl start."""


def load_known_payloads(store: ArchiveStore, site: str, partition: dt.date,
                        days: int = LOOKBACK_DAYS) -> dict[str, tuple[str, str]]:
    """Payload digests archived for ``site`` in the ``days`` days before ``partition``.

    The partition's own file is left out, so a rerun of a partition writes full records again.
    A missing or unreadable file is skipped (logged), never fatal.

    Returns:
        Digest -> (target URI, WARC-Date); newer files win.
    """
    known: dict[str, tuple[str, str]] = {}
    for back in range(days, 0, -1):
        key = payload_index_key(site, partition - dt.timedelta(days=back))
        try:
            doc = json.loads(store.get(key))
        except ObjectNotFound:
            continue
        except (ValueError, UnicodeDecodeError) as exc:
            log.warning("skipping unreadable payload index %s: %s", key, exc)
            continue
        for digest, value in doc.get("payloads", {}).items():
            if isinstance(value, list) and len(value) == 2:
                known[digest] = (str(value[0]), str(value[1]))
    return known


def save_payloads(store: ArchiveStore, site: str, partition: dt.date,
                  digests: Mapping[str, tuple[str, str]]) -> str:
    """Write the payload digests of one crawl; returns the key."""
    key = payload_index_key(site, partition)
    doc = {"site": site, "partition": partition.isoformat(),
           "payloads": {d: list(v) for d, v in sorted(digests.items())}}
    store.put(key, json.dumps(doc, indent=1).encode(), content_type="application/json")
    return key
