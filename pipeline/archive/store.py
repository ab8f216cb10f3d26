"""The archive store: one root, local directory or S3, the same small API.

Keys are relative to the root and always use ``/``. Every write of an object is atomic for readers
(local: temp file + rename; S3: a PUT or a completed multipart upload is atomic by design).

This module picks the backend by URL; the contract is in :mod:`pipeline.archive.base`, the
backends in :mod:`pipeline.archive.local` and :mod:`pipeline.archive.s3store`. ``ArchiveStore``,
``LocalStore`` and ``ObjectInfo`` are importable from here too.

Example:
    >>> store = open_store("./archive", Settings.from_env())    # or "s3://bucket/prefix"
    >>> store.put("runs/x.json", b"{}")
    >>> store.get("runs/x.json")
    b'{}'
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import tempfile
from urllib.parse import urlsplit

from pipeline.archive.base import ArchiveStore, ObjectInfo, StoreOptions
from pipeline.archive.layout import probe_key
from pipeline.archive.local import LocalStore
from pipeline.errors import ArchiveError, ArchiveNotWritable, ConfigError

__all__ = ["ArchiveStore", "LocalStore", "ObjectInfo", "StoreOptions", "check_writable",
           "open_store"]

log = logging.getLogger(__name__)


def open_store(url: str | None, settings: StoreOptions) -> ArchiveStore:
    """Open the archive root named by ``url`` (``None``: the ``archive_url`` setting).

    Args:
        url: ``s3://bucket[/prefix]``, ``file:///path`` or a local path.
        settings: The settings (``pipeline.config.settings.Settings``): the default root, and
            the S3 endpoint, retries and multipart sizes.

    Returns:
        The store.

    Raises:
        ConfigError: The URL cannot be understood.
    """
    url = url or settings.archive_url
    if not url or not url.strip():
        raise ConfigError("archive URL is empty")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "s3":
        from pipeline.archive.s3store import S3Store

        if not parts.netloc:
            raise ConfigError(f"archive URL {url!r} has no bucket (expected s3://bucket/prefix)")
        return S3Store(parts.netloc, parts.path.strip("/"), settings)
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ConfigError(f"archive URL {url!r}: file URLs must name a local path")
        return LocalStore(parts.path)
    if scheme and len(scheme) > 1:  # len 1: a Windows drive letter, still a path
        raise ConfigError(
            f"archive URL {url!r}: unsupported scheme {scheme!r} (use s3:// or a local path)"
        )
    return LocalStore(url)


def check_writable(store: ArchiveStore) -> None:
    """Fail fast, before any fetch, when the archive root cannot be written.

    A local root is created if missing and a temporary file is created and removed in it (the
    same calls an archived object's write makes, and nothing left behind). Any other store gets
    a small object put at :func:`~pipeline.archive.layout.probe_key` and deleted again: one PUT
    and one DELETE. S3 errors keep their kind (a permanent one fails at once, an unreachable
    endpoint after the bounded retries of ``s3_max_attempts``).

    Args:
        store: The archive.

    Raises:
        ArchiveNotWritable: A local root cannot be created or written.
        ArchiveError: The store refused the probe (its message names the archive).
    """
    if isinstance(store, LocalStore):
        try:
            store.root.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=store.root, prefix=".probe-", suffix=".part")
            os.close(fd)
            os.unlink(tmp)
        except OSError as exc:
            raise ArchiveNotWritable(
                f"archive {store.url} cannot be written: {exc.strerror or exc} "
                f"({exc.filename or store.root})") from exc
        return
    token = f"{socket.gethostname()[:40]}-{os.getpid()}-{secrets.token_hex(4)}"
    key = probe_key("".join(c if c.isalnum() or c in "_.-" else "-" for c in token))
    try:
        store.put(key, b"newsarchive write probe\n", content_type="text/plain")
        store.delete(key)
    except ArchiveError as exc:
        raise type(exc)(f"archive {store.url} cannot be written: {exc}") from exc
    log.debug("archive %s is writable (probe %s)", store.url, key)
