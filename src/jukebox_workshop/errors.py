"""Every error the project raises on purpose derives from `JukeboxError`: its message says what
to do, so a caller (the `jukebox` command, a notebook) shows the message without a traceback.

Only standard-library classes live here, so importing one costs nothing. The builtin mixins
stay where callers rely on them (a missing dataset is still a FileNotFoundError). What turns
the errors of boto3 and the registry client into these is in `explain`.
"""

from __future__ import annotations


class JukeboxError(Exception):
    """The root: something went wrong that the user can fix; the message says how."""


class WorkshopError(JukeboxError, RuntimeError):
    """A notebook step failed in a way the attendee can fix (S3, the registry, MLflow, a run)."""


class MissingSettingsError(JukeboxError, RuntimeError):
    """Required environment variables are unset or invalid."""


class NoRunError(JukeboxError, FileNotFoundError):
    """An earlier notebook has not written what this one reads; the message names it."""


class DatasetError(JukeboxError):
    """Any error of the dataset tools (generate, convert, validate)."""


class DataValidationError(DatasetError, ValueError):
    """The data does not have the expected shape; the message says where and what to do.

    `problems` holds one line per problem found (file, column, what is wrong).
    """

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]


class DatasetNotFoundError(DatasetError, FileNotFoundError):
    """A data file is missing."""


class DatasetExistsError(DatasetError, FileExistsError):
    """Writing would replace existing files and overwriting was not asked for."""


class PlatformError(JukeboxError, RuntimeError):
    """The local platform cannot do what was asked; the message says what to do."""


class PlatformNotInstalledError(PlatformError):
    """The local platform's packages (the `platform` extra) are not installed."""


class NotStartedError(PlatformError):
    """The platform was never started with this state dir, so it has no credentials yet."""


class PortInUseError(PlatformError):
    """A port the platform needs is held by another program."""


class ServiceFailedError(PlatformError):
    """A service stopped while starting, or did not answer in time; the message has its log tail."""


class ServiceExitedError(ServiceFailedError):
    """A service stopped while starting."""


class FeatureStoreError(WorkshopError):
    """The feature store or its feature server cannot answer; the message says what to do."""
