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
    """The archive endpoint did not answer, or kept failing after bounded retries.

    Transient: a later attempt may work.
    """


class PermanentArchiveError(ArchiveError):
    """The archive refused in a way no retry can fix.

    Wrong credentials, a missing bucket, a root that cannot be written: callers fail at once
    instead of retrying (under Airflow: no task retries).
    """


class ArchiveAccessDenied(PermanentArchiveError):
    """The archive refused the credentials or the operation."""


class ArchiveNotFound(PermanentArchiveError, ConfigError):
    """The archive root does not exist (an S3 bucket that is not there)."""


class ArchiveNotWritable(PermanentArchiveError):
    """The archive root cannot be created or written.

    A local path under a file, a read-only file system, no permission.
    """


class Interrupted(KeyboardInterrupt):
    """SIGTERM (or SIGINT) asked the command to stop; ``signum`` says which.

    A :class:`KeyboardInterrupt`, so that everything that already stops cleanly on Ctrl-C
    (subprocess helpers, pools, ``finally`` blocks) does the same on SIGTERM.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class ObjectNotFound(ArchiveError, KeyError):
    """The requested key does not exist in the archive."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "object not found"


class CorruptObject(ArchiveError):
    """An archived object exists but cannot be parsed (WARC, Parquet, manifest)."""
