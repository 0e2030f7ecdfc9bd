"""The errors the dataset tools raise: one base class, so callers can catch them all."""

from __future__ import annotations


class DatasetError(Exception):
    """Base class of every error raised by `jukebox_workshop.dataset`."""


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
