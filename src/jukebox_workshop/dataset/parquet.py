"""Write Parquet files byte for byte reproducibly, and read them back."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from jukebox_workshop.dataset.schema import arrow_schema, conform


def write_parquet(frame: pd.DataFrame, path: Path, dtypes: dict[str, str]) -> None:
    """Write `frame` with the schema of `dtypes`.

    The pandas metadata (which embeds the pandas version) is left out so the bytes depend
    only on the data and the pyarrow version; the index is not written.
    """
    table = pa.Table.from_pandas(
        conform(frame, dtypes), schema=arrow_schema(dtypes), preserve_index=False
    )
    pq.write_table(table.replace_schema_metadata(None), path, compression="zstd")


def read_parquet(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path)
