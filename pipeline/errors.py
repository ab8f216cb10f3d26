"""Exceptions raised by the archive and the pipeline stages.

Per-item problems (one broken page, one bad WARC record) are counted with a reason by the caller;
these exceptions are for systemic problems that should stop a task so that Airflow retries it.
"""


class NewsArchiveError(Exception):
    """Base class of every error the pipeline raises on purpose."""


class ConfigError(NewsArchiveError):
    """A setting, a URL or a configuration file is invalid."""


class ArchiveError(NewsArchiveError):
    """The archive could not complete an operation."""


class ArchiveUnavailable(ArchiveError):
    """The archive endpoint did not answer, or kept failing after bounded retries."""


class ArchiveAccessDenied(ArchiveError):
    """The archive refused the credentials or the operation."""


class ObjectNotFound(ArchiveError, KeyError):
    """The requested key does not exist in the archive."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "object not found"


class CorruptObject(ArchiveError):
    """An archived object exists but cannot be parsed (WARC, Parquet, manifest)."""
