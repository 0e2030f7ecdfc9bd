"""`jukebox data generate | convert | validate` through the dataset's `main`."""

import pandas as pd
from support.chart_copies import kaggle_rows, write_copy

from jukebox_workshop.dataset.build.commands import main
from jukebox_workshop.settings import PROPERTIES_FILE, RANKINGS_FILE


def test_generate_then_validate(tmp_path, capsys):
    assert main(["generate", "--out", str(tmp_path), "--days", "8"]) == 0
    assert "Bayes" in capsys.readouterr().out
    assert main(["validate", str(tmp_path)]) == 0
    assert "OK" in capsys.readouterr().out


def test_validate_reports_missing_data_without_a_traceback(tmp_path, capsys):
    assert main(["validate", str(tmp_path)]) == 1
    assert "JUKEBOX_DATA_DIR" in capsys.readouterr().err


def chart_csv(small_data_dir, path, **options):
    rows = kaggle_rows(
        pd.read_parquet(small_data_dir / PROPERTIES_FILE),
        pd.read_parquet(small_data_dir / RANKINGS_FILE),
    )
    return write_copy(rows, path, **options)


def test_convert_says_what_it_kept_and_dropped(small_data_dir, tmp_path, capsys):
    rows = pd.read_parquet(small_data_dir / RANKINGS_FILE)
    csv = chart_csv(small_data_dir, tmp_path / "charts.csv", dates="month first", booleans="TRUE")
    csv.write_text(csv.read_text() + csv.read_text().splitlines()[-1] + "\n")  # one repeat
    assert main(["convert", str(csv), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert f"Read {len(rows) + 1:,} rows of {csv} (dates written month/day/year)." in out
    assert f"Kept {len(rows):,} chart rows" in out and "72 countries + Global" in out
    assert "Dropped 1 rows: repeats the spotify_id, country, snapshot_date" in out
    assert f"JUKEBOX_DATA_DIR={tmp_path / 'out'}" in out


def test_convert_refuses_to_overwrite_without_the_flag(small_data_dir, tmp_path, capsys):
    csv = chart_csv(small_data_dir, tmp_path / "charts.csv")
    out = tmp_path / "out"
    assert main(["convert", str(csv), "--out", str(out)]) == 0
    assert "JUKEBOX_DATA_DIR" in capsys.readouterr().out
    assert main(["convert", str(csv), "--out", str(out)]) == 1
    assert "--overwrite" in capsys.readouterr().err
    assert main(["convert", str(csv), "--out", str(out), "--overwrite"]) == 0


def test_convert_refuses_a_file_it_cannot_use_without_writing(tmp_path, capsys):
    csv = tmp_path / "songs.csv"
    csv.write_text("spotify_id,name\nabc,Song\n")
    assert main(["convert", str(csv), "--out", str(tmp_path / "out")]) == 1
    assert "missing columns" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
