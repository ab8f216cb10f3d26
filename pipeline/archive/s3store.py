"""The S3 backend of the archive store (AWS, Ceph RGW, MinIO, any S3-compatible server).

Path-style addressing and ``when_required`` checksums by default, because botocore >= 1.36 sends
CRC32 trailers and aws-chunked uploads that many non-AWS stores reject. Transient errors
(throttling such as ``SlowDown``, 5xx, timeouts, connection resets) are retried by botocore's
adaptive mode, bounded by ``s3_max_attempts``, and what is left raises
:class:`~pipeline.errors.ArchiveUnavailable`. Permanent errors (``InvalidAccessKeyId``,
``SignatureDoesNotMatch``, ``AccessDenied``/403, ``NoSuchBucket``) are sent once, never retried,
and raise a :class:`~pipeline.errors.PermanentArchiveError` that names the archive and the cause.
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any, BinaryIO, TypeVar

import boto3
import botocore.config
import botocore.exceptions
from boto3.s3.transfer import TransferConfig

from pipeline.archive.base import ArchiveStore, ObjectInfo, S3Options, check_key
from pipeline.errors import (
    ArchiveAccessDenied,
    ArchiveError,
    ArchiveNotFound,
    ArchiveUnavailable,
    ObjectNotFound,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

_NOT_FOUND = {"NoSuchKey", "404", "NotFound"}
_DENIED = {
    "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "403", "Forbidden",
    "InvalidToken", "ExpiredToken",
}
_DELETE_BATCH = 1000  # the S3 DeleteObjects limit


def client_config(settings: S3Options) -> botocore.config.Config:
    """The botocore configuration every S3 client of the project uses.

    Args:
        settings: Retry, timeout and addressing settings.

    Returns:
        A botocore ``Config``.
    """
    return botocore.config.Config(
        s3={"addressing_style": settings.s3_addressing_style},
        # total_max_attempts counts the first request too (botocore's max_attempts counts
        # only retries), so the setting means what its name says
        retries={"total_max_attempts": settings.s3_max_attempts, "mode": "adaptive"},
        connect_timeout=settings.s3_connect_timeout,
        read_timeout=settings.s3_read_timeout,
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        max_pool_connections=max(10, settings.upload_concurrency * 2),
    )


def make_client(settings: S3Options, session: boto3.session.Session | None = None) -> Any:
    """Create an S3 client from settings and the standard AWS environment.

    Args:
        settings: Endpoint, region, TLS and retry settings.
        session: A boto3 session carrying explicit credentials (the Airflow adapter passes the
            ``aws_default`` connection this way); default: the environment's credential chain.

    Returns:
        A boto3 S3 client.
    """
    session = session or boto3.session.Session()
    endpoint = (
        settings.s3_endpoint_url
        or os.environ.get("AWS_ENDPOINT_URL_S3")
        or os.environ.get("AWS_ENDPOINT_URL")
        or None
    )
    region = (
        settings.s3_region
        or session.region_name
        or os.environ.get("AWS_REGION")
        or "us-east-1"
    )
    verify: bool | str | None = settings.s3_verify
    if isinstance(verify, str) and verify.lower() == "false":
        verify = False
    return session.client(
        "s3", endpoint_url=endpoint, region_name=region, verify=verify,
        config=client_config(settings),
    )


_EXISTS = frozenset({"PreconditionFailed", "ConditionalRequestConflict"})
"""Error codes of a conditional create that found the object (or lost the race to it)."""


class S3Store(ArchiveStore):
    """An archive root ``s3://bucket/prefix``.

    Args:
        bucket: The bucket.
        prefix: Key prefix of the root inside the bucket (``""``: the whole bucket).
        settings: Endpoint, region, retries, timeouts and multipart sizes
            (``pipeline.config.settings.Settings`` has them all).
        session: A boto3 session with explicit credentials (default: the environment's chain).
    """

    def __init__(
        self,
        bucket: str,
        prefix: str,
        settings: S3Options,
        session: boto3.session.Session | None = None,
    ) -> None:
        self.settings = settings
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.url = f"s3://{bucket}/{self.prefix}" if self.prefix else f"s3://{bucket}"
        self.client = make_client(self.settings, session)
        self.transfer = TransferConfig(
            multipart_threshold=self.settings.multipart_threshold,
            multipart_chunksize=self.settings.multipart_chunksize,
            max_concurrency=self.settings.upload_concurrency,
        )

    def _key(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _call(self, what: str, key: str, fn: Callable[[], T]) -> T:
        """Run one S3 operation, mapping botocore's errors to the project's."""
        where = f"{self.url}/{key}" if key else self.url
        try:
            return fn()
        except botocore.exceptions.ClientError as exc:
            err = exc.response.get("Error", {})
            code = str(err.get("Code", ""))
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code == "NoSuchBucket" or (status == 404 and not key):
                # a 404 without a key is HeadBucket's answer (no error body) for a missing bucket
                raise ArchiveNotFound(
                    f"{what} {where}: bucket {self.bucket!r} does not exist"
                ) from None
            if code in _NOT_FOUND or status == 404:
                raise ObjectNotFound(f"{where}: no such object") from None
            if code in _DENIED or status == 403:
                detail = ": ".join(str(p) for p in (code, err.get("Message")) if p)
                raise ArchiveAccessDenied(
                    f"{what} {where}: access denied ({detail}); check the credentials "
                    "(AWS_ACCESS_KEY_ID / aws_default connection) and the bucket policy"
                ) from None
            if status is not None and status >= 500:
                raise ArchiveUnavailable(
                    f"{what} {where}: server error {status} {code} after "
                    f"{self.settings.s3_max_attempts} attempts"
                ) from exc
            raise ArchiveError(f"{what} {where}: {code or status}: {err.get('Message')}") from exc
        except botocore.exceptions.NoCredentialsError:
            raise ArchiveAccessDenied(
                f"{what} {where}: no S3 credentials (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY "
                "or the aws_default connection)"
            ) from None
        except (
            botocore.exceptions.EndpointConnectionError,
            botocore.exceptions.ConnectionClosedError,
            botocore.exceptions.ConnectTimeoutError,
            botocore.exceptions.ReadTimeoutError,
            botocore.exceptions.ResponseStreamingError,
        ) as exc:
            raise ArchiveUnavailable(
                f"{what} {where}: endpoint unreachable after {self.settings.s3_max_attempts} "
                f"attempts ({exc})"
            ) from exc
        except boto3.exceptions.S3UploadFailedError as exc:
            text = str(exc)
            if "NoSuchBucket" in text:
                raise ArchiveNotFound(
                    f"{what} {where}: bucket {self.bucket!r} does not exist"
                ) from None
            if any(code in text for code in _DENIED):
                raise ArchiveAccessDenied(f"{what} {where}: access denied ({text})") from None
            raise ArchiveUnavailable(f"{what} {where}: upload failed ({text})") from exc

    def check(self) -> None:
        """Fail early with a clear message when the bucket or the endpoint is not usable."""
        self._call("open", "", lambda: self.client.head_bucket(Bucket=self.bucket))

    def put(self, key: str, data: bytes, *, content_type: str | None = None) -> None:  # noqa: D102
        full = self._key(key)
        if len(data) >= self.settings.multipart_threshold:
            extra = {"ContentType": content_type} if content_type else None
            self._call("put", key, lambda: self.client.upload_fileobj(
                io.BytesIO(data), self.bucket, full, ExtraArgs=extra, Config=self.transfer))
            return
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": full, "Body": data}
        if content_type:
            kwargs["ContentType"] = content_type
        self._call("put", key, lambda: self.client.put_object(**kwargs))

    def put_if_absent(self, key: str, data: bytes) -> bool:  # noqa: D102
        full = self._key(key)

        def create() -> bool:
            try:
                self.client.put_object(Bucket=self.bucket, Key=full, Body=data, IfNoneMatch="*")
            except botocore.exceptions.ClientError as exc:
                # 412: the object exists; 409: a concurrent conditional write won
                if exc.response.get("Error", {}).get("Code") in _EXISTS:
                    return False
                raise
            return True

        return self._call("put", key, create)

    def put_file(self, key: str, path: str | os.PathLike[str]) -> None:  # noqa: D102
        full = self._key(key)
        self._call("put", key, lambda: self.client.upload_file(
            os.fspath(path), self.bucket, full, Config=self.transfer))

    def get(self, key: str) -> bytes:  # noqa: D102
        full = self._key(key)

        def read() -> bytes:
            body = self.client.get_object(Bucket=self.bucket, Key=full)["Body"]
            with contextlib.closing(body):
                return bytes(body.read())

        return self._call("get", key, read)

    def get_range(self, key: str, offset: int, length: int) -> bytes:  # noqa: D102
        if length <= 0:
            return b""
        full = self._key(key)
        rng = f"bytes={offset}-{offset + length - 1}"

        def read() -> bytes:
            body = self.client.get_object(Bucket=self.bucket, Key=full, Range=rng)["Body"]
            with contextlib.closing(body):
                return bytes(body.read())

        data = self._call("get", key, read)
        if len(data) != length:
            raise ArchiveError(f"{self.url}/{key}: wanted {length} bytes at {offset}, got "
                               f"{len(data)}")
        return data

    @contextlib.contextmanager
    def _stream(self, key: str) -> Iterator[BinaryIO]:
        full = self._key(key)
        body = self._call("get", key, lambda: self.client.get_object(
            Bucket=self.bucket, Key=full)["Body"])
        with contextlib.closing(body):
            yield body

    def open_read(self, key: str) -> contextlib.AbstractContextManager[BinaryIO]:  # noqa: D102
        return self._stream(key)

    def download(self, key: str, path: str | os.PathLike[str]) -> None:  # noqa: D102
        full = self._key(key)
        self._call("get", key, lambda: self.client.download_file(
            self.bucket, full, os.fspath(path), Config=self.transfer))

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:  # noqa: D102
        full_prefix = f"{self.prefix}/{prefix}" if self.prefix else prefix
        strip = len(self.prefix) + 1 if self.prefix else 0
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": full_prefix}
            if token:
                kwargs["ContinuationToken"] = token
            page: dict[str, Any] = self._call(
                "list", prefix, functools.partial(self.client.list_objects_v2, **kwargs))
            for obj in page.get("Contents", []):
                yield ObjectInfo(obj["Key"][strip:], int(obj["Size"]))
            if not page.get("IsTruncated"):
                return
            token = page.get("NextContinuationToken")

    def delete_many(self, keys: Iterable[str]) -> None:  # noqa: D102
        pending = [self._key(k) for k in keys]
        for start in range(0, len(pending), _DELETE_BATCH):
            batch = [{"Key": k} for k in pending[start:start + _DELETE_BATCH]]
            result: dict[str, Any] = self._call("delete", batch[0]["Key"], functools.partial(
                self.client.delete_objects, Bucket=self.bucket,
                Delete={"Objects": batch, "Quiet": True}))
            errors = result.get("Errors") or []
            if errors:
                first = errors[0]
                raise ArchiveError(
                    f"delete {self.url}/{first.get('Key')}: {first.get('Code')} "
                    f"{first.get('Message')} ({len(errors)} objects not deleted)"
                )
