"""The workshop's song dataset as the notebooks read it: its schema, validation, countries, Bayes ceiling.

Generating it and converting the real Kaggle CSV live in `dataset.build`.

`PROPERTIES_SCHEMA` and `RANKINGS_SCHEMA` (pandera) define the two files; notebook 2 checks
the data against them. `properties, rankings = validate_dataset()` does the same from a
script: it reads JUKEBOX_DATA_DIR, or jukebox/data when it is not set.
"""

from jukebox_workshop.columns import FEATURES, TARGET
from jukebox_workshop.dataset.schema import (
    COUNTRY_CODES,
    PROPERTIES_COLUMNS,
    PROPERTIES_SCHEMA,
    RANKINGS_COLUMNS,
    RANKINGS_SCHEMA,
    rankings_schema,
)
from jukebox_workshop.dataset.validate import validate_dataset, validate_table
from jukebox_workshop.errors import (
    DatasetError,
    DatasetExistsError,
    DatasetNotFoundError,
    DataValidationError,
)
from jukebox_workshop.settings import PROPERTIES_FILE, RANKINGS_FILE

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
    "rankings_schema",
    "validate_dataset",
    "validate_table",
]
