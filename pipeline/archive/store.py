"""The archive store: one root, local directory or S3, the same small API.

Keys are relative to the root and always use ``/``. Every write of an object is atomic for readers
(local: temp file + rename; S3: a PUT or a completed multipart upload is atomic by design).

Example:
    >>> store = open_store("./archive")          # or "s3://bucket/prefix"
    >>> store.put("runs/x.json", b"{}")
    >>> store.get("runs/x.json")
    b'{}'
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from pipeline.errors import ArchiveError, ConfigError, CorruptObject, ObjectNotFound
from pipeline.config.settings import Settings


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


def _file_mode() -> int:
    """0o666 less the process umask (read once at import, while no other thread runs)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


_FILE_MODE = _file_mode()


class LocalStore(ArchiveStore):
    """An archive root on the local file system (the embedded default)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()
        self.url = str(self.root)

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key).split("/"))

    def _write_temp(self, key: str, writer: BinaryIO | bytes) -> tuple[Path, str]:
        """Write the content to a synced temp file beside the object; (object path, temp)."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                if isinstance(writer, bytes):
                    out.write(writer)
                else:
                    shutil.copyfileobj(writer, out, 1024 * 1024)
                out.flush()
                # mkstemp creates 0600; archived objects get the mode open() would give
                # (readers may be other accounts: downstream jobs, a web server)
                os.fchmod(out.fileno(), _FILE_MODE)
                os.fsync(out.fileno())
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        return path, tmp

    def _atomic_write(self, key: str, writer: BinaryIO | bytes) -> None:
        path, tmp = self._write_temp(key, writer)
        try:
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    def put(self, key: str, data: bytes, *, content_type: str | None = None) -> None:  # noqa: D102
        self._atomic_write(key, bytes(data))

    def put_if_absent(self, key: str, data: bytes) -> bool:  # noqa: D102
        path, tmp = self._write_temp(key, bytes(data))
        try:
            # link() fails when the name exists: an exclusive create with the full content
            os.link(tmp, path)
        except FileExistsError:
            return False
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        return True

    def put_file(self, key: str, path: str | os.PathLike[str]) -> None:  # noqa: D102
        with open(path, "rb") as src:
            self._atomic_write(key, src)

    def get(self, key: str) -> bytes:  # noqa: D102
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            raise ObjectNotFound(f"{self.url}/{key}: no such object") from None

    def get_range(self, key: str, offset: int, length: int) -> bytes:  # noqa: D102
        with self.open_read(key) as fh:
            fh.seek(offset)
            data = fh.read(length)
        if len(data) != length:
            raise CorruptObject(
                f"{self.url}/{key}: wanted {length} bytes at {offset}, object has fewer"
            )
        return data

    def open_read(self, key: str) -> contextlib.AbstractContextManager[BinaryIO]:  # noqa: D102
        try:
            return open(self._path(key), "rb")
        except (FileNotFoundError, NotADirectoryError):
            raise ObjectNotFound(f"{self.url}/{key}: no such object") from None

    def download(self, key: str, path: str | os.PathLike[str]) -> None:  # noqa: D102
        with self.open_read(key) as src, open(path, "wb") as dst:
            shutil.copyfileobj(src, dst, 1024 * 1024)

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:  # noqa: D102
        # walk only the deepest directory the prefix names, then filter by the rest
        base_rel = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        base = self.root.joinpath(*base_rel.split("/")) if base_rel else self.root
        if not base.is_dir():
            return
        found: list[ObjectInfo] = []
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in filenames:
                if name.startswith(".tmp-"):
                    continue  # an in-flight atomic write
                full = Path(dirpath, name)
                key = full.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    found.append(ObjectInfo(key, full.stat().st_size))
        yield from sorted(found, key=lambda o: o.key)

    def delete_many(self, keys: Iterable[str]) -> None:  # noqa: D102
        for key in keys:
            path = self._path(key)
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            # drop directories the delete left empty, up to the root
            parent = path.parent
            while parent != self.root:
                try:
                    parent.rmdir()
                except OSError:
                    break
                parent = parent.parent


def open_store(url: str | None = None, settings: Settings | None = None) -> ArchiveStore:
    """Open the archive root named by ``url`` (default: the ``archive_url`` setting).

    Args:
        url: ``s3://bucket[/prefix]``, ``file:///path`` or a local path.
        settings: Settings for S3 (endpoint, retries, multipart); read from the environment
            when omitted.

    Returns:
        The store.

    Raises:
        ConfigError: The URL cannot be understood.
    """
    settings = settings or Settings.from_env()
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
