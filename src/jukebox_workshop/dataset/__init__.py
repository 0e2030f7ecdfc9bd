"""The workshop's song dataset: generate it, convert the real Kaggle CSV, validate it.

A notebook loads the checked data with `properties, rankings = validate_dataset()`, which
reads JUKEBOX_DATA_DIR, or jukebox/data when it is not set.
"""

from .commands import main
from .convert import convert
from .errors import DatasetError, DatasetExistsError, DatasetNotFoundError, DataValidationError
from .generate import build_dataset, generate
from .schema import (
    COUNTRY_CODES,
    FEATURES,
    PROPERTIES_COLUMNS,
    PROPERTIES_FILE,
    RANKINGS_COLUMNS,
    RANKINGS_FILE,
    TARGET,
)
from .validate import validate_dataset, validate_properties, validate_rankings

__all__ = [
    "COUNTRY_CODES",
    "FEATURES",
    "PROPERTIES_COLUMNS",
    "PROPERTIES_FILE",
    "RANKINGS_COLUMNS",
    "RANKINGS_FILE",
    "TARGET",
    "DataValidationError",
    "DatasetError",
    "DatasetExistsError",
    "DatasetNotFoundError",
    "build_dataset",
    "convert",
    "generate",
    "main",
    "validate_dataset",
    "validate_properties",
    "validate_rankings",
]
