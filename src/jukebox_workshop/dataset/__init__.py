"""The workshop's song dataset: generate it, convert the real Kaggle CSV, validate it.

`PROPERTIES_SCHEMA` and `RANKINGS_SCHEMA` (pandera) define the two files; notebook 2 checks
the data against them. `properties, rankings = validate_dataset()` does the same from a
script: it reads JUKEBOX_DATA_DIR, or jukebox/data when it is not set.
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
    PROPERTIES_SCHEMA,
    RANKINGS_COLUMNS,
    RANKINGS_FILE,
    RANKINGS_SCHEMA,
    TARGET,
    rankings_schema,
)
from .validate import validate_dataset, validate_table

__all__ = [
    "COUNTRY_CODES",
    "FEATURES",
    "PROPERTIES_COLUMNS",
    "PROPERTIES_FILE",
    "PROPERTIES_SCHEMA",
    "RANKINGS_COLUMNS",
    "RANKINGS_FILE",
    "RANKINGS_SCHEMA",
    "TARGET",
    "DataValidationError",
    "DatasetError",
    "DatasetExistsError",
    "DatasetNotFoundError",
    "build_dataset",
    "convert",
    "generate",
    "main",
    "rankings_schema",
    "validate_dataset",
    "validate_table",
]
