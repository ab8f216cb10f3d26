"""The archive store contract: the API every backend implements, and the options it reads.

Keys are relative to the store's root and always use ``/``. Every write of an object is atomic for
readers. The backends are :class:`pipeline.archive.local.LocalStore` and
:class:`pipeline.archive.s3store.S3Store`; :func:`pipeline.archive.store.open_store` picks one by
URL. A new backend subclasses :class:`ArchiveStore` in its own module and gets a scheme there.

The options are :class:`typing.Protocol` classes, not the settings class itself: the archive
imports nothing from :mod:`pipeline.config`, and ``pipeline.config.settings.Settings`` satisfies
them by its attribute names.
"""

from __future__ import annotations

import contextlib
import os
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from pipeline.errors import ArchiveError, ObjectNotFound


class S3Options(Protocol):
    """The settings the S3 backend reads (see ``docs/configuration.md`` for each)."""

    @property
    def s3_endpoint_url(self) -> str | None: ...  # noqa: D102
    @property
    def s3_region(self) -> str | None: ...  # noqa: D102
    @property
    def s3_addressing_style(self) -> str: ...  # noqa: D102
    @property
    def s3_max_attempts(self) -> int: ...  # noqa: D102
    @property
    def s3_connect_timeout(self) -> float: ...  # noqa: D102
    @property
    def s3_read_timeout(self) -> float: ...  # noqa: D102
    @property
    def s3_verify(self) -> str | None: ...  # noqa: D102
    @property
    def multipart_threshold(self) -> int: ...  # noqa: D102
    @property
    def multipart_chunksize(self) -> int: ...  # noqa: D102
    @property
    def upload_concurrency(self) -> int: ...  # noqa: D102


class StoreOptions(S3Options, Protocol):
    """What :func:`~pipeline.archive.store.open_store` reads: the default root, and S3's options."""

    @property
    def archive_url(self) -> str: ...  # noqa: D102


@dataclass(frozen=True)
class ObjectInfo:
    """One listed object."""

    key: str
    size: int


def check_key(key: str) -> str:
    """Reject keys that could escape the root or are not portable across stores.

    Args:
        key: A relative key such as ``raw/site=a/date=2024-01-01/x.warc.gz``.

    Returns:
        The key unchanged.

    Raises:
        ArchiveError: The key is empty, absolute, or has ``.``/``..``/empty segments.
    """
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise ArchiveError(f"invalid archive key {key!r}")
    return key


class ArchiveStore(ABC):
    """Object storage under one archive root."""

    url: str

    @abstractmethod
    def put(self, key: str, data: bytes, *, content_type: str | None = None) -> None:
        """Store ``data`` under ``key``, replacing any previous object atomically."""

    @abstractmethod
    def put_file(self, key: str, path: str | os.PathLike[str]) -> None:
        """Upload a local file (multipart when large) under ``key``."""

    @abstractmethod
    def get(self, key: str) -> bytes:
        """Return the whole object. Raises :class:`ObjectNotFound` when it does not exist."""

    @abstractmethod
    def get_range(self, key: str, offset: int, length: int) -> bytes:
        """Return ``length`` bytes starting at ``offset`` with one ranged read."""

    @abstractmethod
    def open_read(self, key: str) -> contextlib.AbstractContextManager[BinaryIO]:
        """Open the object as a binary stream (for large WARC files)."""

    @abstractmethod
    def download(self, key: str, path: str | os.PathLike[str]) -> None:
        """Copy the object to a local file."""

    @abstractmethod
    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Yield the objects whose key starts with ``prefix``, in key order."""

    @abstractmethod
    def delete_many(self, keys: Iterable[str]) -> None:
        """Delete the objects; keys that do not exist are ignored."""

    @abstractmethod
    def put_if_absent(self, key: str, data: bytes) -> bool:
        """Create ``key`` only if no object exists under it; ``False`` when one does.

        The check and the write are one atomic step (a hard link locally, a conditional PUT
        with ``If-None-Match: *`` on S3): of several writers exactly one gets ``True``.
        """

    def delete(self, key: str) -> None:
        """Delete one object; a missing key is ignored."""
        self.delete_many([key])

    def exists(self, key: str) -> bool:
        """Whether ``key`` exists."""
        try:
            self.get_range(key, 0, 1)
        except ObjectNotFound:
            return False
        return True

    def get_or_none(self, key: str) -> bytes | None:
        """Return the object, or ``None`` when it does not exist."""
        try:
            return self.get(key)
        except ObjectNotFound:
            return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r})"
