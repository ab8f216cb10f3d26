"""The local backend of the archive store: a directory on this machine (the embedded default).

Every write goes to a synced temp file beside the object, then is renamed over it, so readers
see the old object or the new one, never a part.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from pipeline.archive.base import ArchiveStore, ObjectInfo, check_key
from pipeline.errors import CorruptObject, ObjectNotFound


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
