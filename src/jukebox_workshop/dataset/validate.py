"""Check the two data files against their pandera schemas, and say what is wrong in words.

`properties, rankings = validate_dataset()` reads JUKEBOX_DATA_DIR (or jukebox/data when
it is not set) and returns both frames once they pass. Every problem found is listed in one
`DataValidationError`, each line naming the file, the column and what is wrong, e.g.
"song_properties.parquet, column 'danceability': 3 values outside [0, 1] (e.g. 1.7)."
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from jukebox_workshop.dataset.parquet import read_parquet
from jukebox_workshop.dataset.schema import PROPERTIES_SCHEMA, rankings_schema
from jukebox_workshop.errors import DatasetNotFoundError, DataValidationError
from jukebox_workshop.settings import PROPERTIES_FILE, RANKINGS_FILE
from jukebox_workshop.settings import data_dir as default_data_dir

FIX_HINT = (
    "Fix the data, or regenerate it with `make data` "
    "(convert the real CSV with `jukebox data convert`)."
)
EXAMPLES = 3


def validate_dataset(data_dir: str | Path | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read and check song_properties.parquet and song_rankings.parquet; return both frames.

    `data_dir` defaults to JUKEBOX_DATA_DIR, or jukebox/data when that is not set.
    """
    folder = Path(data_dir) if data_dir is not None else default_data_dir()
    missing = [name for name in (PROPERTIES_FILE, RANKINGS_FILE) if not (folder / name).is_file()]
    if missing:
        raise DatasetNotFoundError(
            f"No {' or '.join(missing)} in {folder}. Generate the data with `make data`, "
            "or set JUKEBOX_DATA_DIR to the folder holding song_properties.parquet and "
            "song_rankings.parquet."
        )
    properties = read_parquet(folder / PROPERTIES_FILE)
    rankings = read_parquet(folder / RANKINGS_FILE)
    known_songs = properties["spotify_id"] if "spotify_id" in properties else pd.Series()
    raise_problems(
        problems(properties, PROPERTIES_SCHEMA) + problems(rankings, rankings_schema(known_songs))
    )
    return properties, rankings


def validate_table(frame: pd.DataFrame, schema: pa.DataFrameSchema) -> None:
    """Raise `DataValidationError` listing every way `frame` breaks `schema`."""
    raise_problems(problems(frame, schema))


def raise_problems(found: list[str]) -> None:
    if found:
        raise DataValidationError("\n".join(found) + "\n" + FIX_HINT, found)


def failures(frame: pd.DataFrame, schema: pa.DataFrameSchema) -> pd.DataFrame:
    """pandera's failure cases (one row per failing value or column), empty when valid."""
    try:
        with warnings.catch_warnings():
            # pandera's report concatenates frames with empty columns, which pandas warns about
            warnings.simplefilter("ignore", FutureWarning)
            schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as error:
        return error.failure_cases
    return pd.DataFrame(columns=["column", "check", "failure_case", "index"])


def problems(frame: pd.DataFrame, schema: pa.DataFrameSchema) -> list[str]:
    """One line per way `frame` breaks `schema`, naming the file, the column and the problem."""
    cases = failures(frame, schema)
    # a repeated row is reported once per column of the key: count it once
    repeated = cases["check"] == "multiple_fields_uniqueness"
    cases.loc[repeated, "column"] = ", ".join(schema.unique or [])
    wrong_type = set(cases.loc[cases["check"].str.startswith("dtype("), "column"])
    lines = []
    for (column, check), group in cases.groupby(["column", "check"], sort=False):
        if column in wrong_type and not check.startswith("dtype("):
            continue  # the value checks of a column of the wrong type only repeat that
        describe = _DESCRIBE.get(check, _describe_values)
        if check.startswith("dtype("):
            describe = _describe_type
        lines.append(describe(schema, column, check, group))
    return lines


def reason(schema: pa.DataFrameSchema, column: str, check: str) -> str:
    """Why a row fails, in words: "danceability outside [0, 1]", "no snapshot_date", ..."""
    if check == "not_nullable":
        return f"no {column}"
    if check == "multiple_fields_uniqueness":
        return f"repeats the {', '.join(schema.unique)} of an earlier row"
    if check == "field_uniqueness":
        return f"repeats the {column} of an earlier row"
    return f"{column} {check}"


Describe = Callable[[pa.DataFrameSchema, str, str, pd.DataFrame], str]


def _where(schema: pa.DataFrameSchema, column: str) -> str:
    return f"{schema.name}, column '{column}'"


def _describe_type(schema: pa.DataFrameSchema, column: str, check: str, cases: pd.DataFrame) -> str:
    expected = schema.columns[column].dtype
    found = cases["failure_case"].iloc[0]
    return f"{_where(schema, column)}: expected {expected} values, found {found}."


def _describe_values(
    schema: pa.DataFrameSchema, column: str, check: str, cases: pd.DataFrame
) -> str:
    values = cases["failure_case"]
    return f"{_where(schema, column)}: {len(values)} values {check} (e.g. {_examples(values)})."


def _describe_missing(
    schema: pa.DataFrameSchema, column: str, check: str, cases: pd.DataFrame
) -> str:
    return f"{_where(schema, column)}: {len(cases)} empty values; every row needs one."


def _describe_repeats(
    schema: pa.DataFrameSchema, column: str, check: str, cases: pd.DataFrame
) -> str:
    values = cases["failure_case"].drop_duplicates()
    return (
        f"{_where(schema, column)}: {len(values)} values appear more than once "
        f"(e.g. {_examples(values)}); keep one row each."
    )


def _describe_repeated_rows(
    schema: pa.DataFrameSchema, column: str, check: str, cases: pd.DataFrame
) -> str:
    rows = cases["index"].nunique()
    return (
        f"{schema.name}, columns {', '.join(schema.unique)}: {rows} rows repeat an earlier "
        f"row's values (e.g. a song twice on the same chart and day)."
    )


def _describe_columns(what: str) -> Describe:
    def describe(schema: pa.DataFrameSchema, column: str, check: str, cases: pd.DataFrame) -> str:
        names = ", ".join(repr(str(name)) for name in cases["failure_case"])
        return f"{schema.name}: {what} columns {names}."

    return describe


_DESCRIBE: dict[str, Describe] = {
    "column_in_dataframe": _describe_columns("missing"),
    "column_in_schema": _describe_columns("unexpected"),
    "not_nullable": _describe_missing,
    "field_uniqueness": _describe_repeats,
    "multiple_fields_uniqueness": _describe_repeated_rows,
}


def _examples(values: Iterable[object]) -> str:
    shown = []
    for value in values:
        shown.append(f"{value:g}" if isinstance(value, float) else str(value))
        if len(shown) == EXAMPLES:
            break
    return ", ".join(shown)
