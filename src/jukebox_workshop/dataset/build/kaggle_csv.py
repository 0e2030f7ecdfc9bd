"""Read a copy of the Kaggle chart file as the user has it, into typed columns.

Copies differ: the Kaggle download itself (ISO dates, `True`/`False`), a copy saved by a
spreadsheet (`2/12/2025`, `TRUE`/`FALSE`, maybe `;` between fields and decimal commas, a
byte-order mark), a sample without the name or album columns. `read_chart_file` reads all
of them. A value it cannot read becomes empty and is counted; a column it can read almost
none of stops it with an error naming the column and showing some of its values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from jukebox_workshop.errors import DataValidationError
from jukebox_workshop.dataset.schema import CSV_COLUMNS, DATE, PROPERTIES_DTYPES, RANKINGS_DTYPES, STRING, as_text

OPTIONAL_COLUMNS = ("name", "artists", "album_name", "album_release_date")
DTYPES = {**RANKINGS_DTYPES, **PROPERTIES_DTYPES}
TRUE_FALSE = {"true": True, "false": False, "1": True, "0": False, "1.0": True, "0.0": False}
SEPARATORS = (",", ";", "\t")
SLASHED_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
MONTH_FIRST, DAY_FIRST = "month/day/year", "day/month/year"
DATE_ORDERS = {"month-first": MONTH_FIRST, "day-first": DAY_FIRST}
READABLE_SHARE = 0.5  # below this share of readable values, the column's format is wrong
EXAMPLES = 3
KAGGLE_FILE = (
    "universal_top_spotify_songs.csv from the Kaggle dataset "
    "'Top Spotify Songs in 73 Countries (Daily Updated)'"
)


@dataclass
class ChartFile:
    """The file's rows with typed columns, and what reading them found."""

    rows: pd.DataFrame
    unreadable: dict[str, int] = field(default_factory=dict)  # column: values not understood
    notes: list[str] = field(default_factory=list)  # how the file was read


def read_chart_file(source: Path, dates: str | None = None) -> ChartFile:
    """Every row of `source`, with the Kaggle columns as the schemas' types (empty when unknown).

    `dates` ("month-first" or "day-first") says how to read dates like 2/12/2025 when no
    date in the file tells.
    """
    separator = _separator(source)
    try:
        text = pd.read_csv(
            source,
            sep=separator,
            dtype=str,
            encoding="utf-8-sig",  # spreadsheets start the file with a byte-order mark
            keep_default_na=False,  # only empty fields are missing: "NA" can be a song title
            na_values=[""],
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise DataValidationError(
            f"{source} is not a readable CSV file ({error}). Expected {KAGGLE_FILE}."
        ) from error
    text.columns = [str(name).strip() for name in text.columns]
    notes = _check_columns(source, text)
    if separator != ",":
        notes.append(f"fields separated by {separator!r}, decimal commas allowed")
    chart = ChartFile(pd.DataFrame(index=text.index), notes=notes)
    order = DATE_ORDERS[dates] if dates else _date_order(source, text)
    if order:
        chart.notes.append(f"dates written {order}")
    for name in CSV_COLUMNS:
        if name not in text:
            chart.rows[name] = _parse(pd.Series(None, index=text.index), DTYPES[name], None, ",")
            continue
        chart.rows[name] = _parse(text[name].str.strip(), DTYPES[name], order, separator)
        _check_readable(source, name, text[name], chart)
    return chart


def _separator(source: Path) -> str:
    """The field separator, from the header line."""
    try:
        with source.open(encoding="utf-8-sig") as file:
            header = file.readline()
    except UnicodeDecodeError:
        return ","  # pandas gives the error message
    return max(SEPARATORS, key=header.count)


def _check_columns(source: Path, text: pd.DataFrame) -> list[str]:
    missing = [name for name in CSV_COLUMNS if name not in text.columns]
    required = [name for name in missing if name not in OPTIONAL_COLUMNS]
    if required:
        raise DataValidationError(
            f"{source} does not look like {KAGGLE_FILE}: missing columns "
            f"{', '.join(required)}. Check that the file has the Kaggle column names on its "
            "first line."
        )
    return [f"no {', '.join(missing)} column in the file: left empty"] if missing else []


def _parse(values: pd.Series, dtype: str, order: str | None, separator: str) -> pd.Series:
    values = values.replace("", None).astype(object)
    if dtype == STRING:
        return as_text(values)
    if dtype == DATE:
        return _dates(values, order)
    if dtype == "bool":
        return values.str.lower().map(TRUE_FALSE).astype(object)
    if separator != ",":
        values = values.str.replace(",", ".", regex=False)
    numbers = pd.to_numeric(values, errors="coerce")
    if dtype == "int64":
        numbers = numbers.where(numbers % 1 == 0)  # 4.5 is no key, rank or duration
    return numbers


def _dates(values: pd.Series, order: str | None) -> pd.Series:
    days = values.str.split(r"[ T]", n=1, regex=True).str[0]  # a time of day may follow
    slashed = days.str.match(SLASHED_DATE.pattern).fillna(False).astype(bool)
    parsed = pd.to_datetime(days.where(~slashed), format="ISO8601", errors="coerce")
    if slashed.any() and order:
        layout = "%m/%d/%Y" if order == MONTH_FIRST else "%d/%m/%Y"
        parsed[slashed] = pd.to_datetime(days[slashed], format=layout, errors="coerce")
    return parsed.astype(DATE)


def _date_order(source: Path, text: pd.DataFrame) -> str | None:
    """MONTH_FIRST or DAY_FIRST for dates like 2/12/2025, None when there are none.

    The order is the same in every date column of a file, so a release date like 1/27/2025
    also tells how to read a snapshot date like 2/12/2025.
    """
    columns = [text[name] for name in ("snapshot_date", "album_release_date") if name in text]
    days = pd.concat(columns).dropna().str.strip().str.split(r"[ T]", n=1, regex=True).str[0]
    parts = days.str.extract(SLASHED_DATE.pattern).dropna().astype(int)
    if parts.empty:
        return None
    first_is_day, second_is_day = (parts[0] > 12).any(), (parts[1] > 12).any()
    if first_is_day != second_is_day:
        return DAY_FIRST if first_is_day else MONTH_FIRST
    example = days[days.str.match(SLASHED_DATE.pattern)].iloc[0]
    problem = (
        "mix month/day/year and day/month/year"
        if first_is_day
        else "can be read as month/day/year or as day/month/year, and no date tells which"
    )
    raise DataValidationError(
        f"{source}: the dates (e.g. {example!r}) {problem}. Say which with --dates "
        "month-first or --dates day-first, or save the file again with dates written "
        "year-month-day (2025-02-12), as in the Kaggle download."
    )


def _check_readable(source: Path, name: str, raw: pd.Series, chart: ChartFile) -> None:
    """Count the values of `name` that were given but not understood; stop if most were."""
    given = raw.str.strip().replace("", None).notna()
    unreadable = given & chart.rows[name].isna()
    if not unreadable.any():
        return
    chart.unreadable[name] = int(unreadable.sum())
    if unreadable.sum() > (1 - READABLE_SHARE) * given.sum():
        examples = ", ".join(repr(v) for v in raw[unreadable].drop_duplicates()[:EXAMPLES])
        raise DataValidationError(
            f"{source}, column '{name}': {int(unreadable.sum()):,} of {int(given.sum()):,} "
            f"values are not {_kind(DTYPES[name])} (e.g. {examples}). Check the column, or "
            "use the file as downloaded from Kaggle."
        )


def _kind(dtype: str) -> str:
    return {
        DATE: "dates like 2025-02-12 or 2/12/2025",
        "bool": "true/false values",
        "int64": "whole numbers",
        "float64": "numbers",
    }.get(dtype, "text")
