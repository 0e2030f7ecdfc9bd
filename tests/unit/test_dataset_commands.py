"""`jukebox data generate | convert | validate` through the dataset's `main`."""

import pandas as pd

from jukebox_workshop.dataset import main
from jukebox_workshop.dataset.schema import CSV_COLUMNS, PROPERTIES_FILE, RANKINGS_FILE


def test_generate_then_validate(tmp_path, capsys):
    assert main(["generate", "--out", str(tmp_path), "--days", "8"]) == 0
    assert "Bayes" in capsys.readouterr().out
    assert main(["validate", str(tmp_path)]) == 0
    assert "OK" in capsys.readouterr().out


def test_validate_reports_missing_data_without_a_traceback(tmp_path, capsys):
    assert main(["validate", str(tmp_path)]) == 1
    assert "JUKEBOX_DATA_DIR" in capsys.readouterr().err


def test_convert_refuses_to_overwrite_without_the_flag(small_data_dir, tmp_path, capsys):
    rankings = pd.read_parquet(small_data_dir / RANKINGS_FILE)
    features = pd.read_parquet(small_data_dir / PROPERTIES_FILE).drop(columns=["name", "artists"])
    csv = tmp_path / "charts.csv"
    rankings.merge(features.drop(columns="snapshot_date"), on="spotify_id")[
        list(CSV_COLUMNS)
    ].to_csv(csv, index=False)
    out = tmp_path / "out"
    assert main(["convert", str(csv), "--out", str(out)]) == 0
    assert "JUKEBOX_DATA_DIR" in capsys.readouterr().out
    assert main(["convert", str(csv), "--out", str(out)]) == 1
    assert "--overwrite" in capsys.readouterr().err
    assert main(["convert", str(csv), "--out", str(out), "--overwrite"]) == 0
