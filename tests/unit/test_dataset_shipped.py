"""The data in jukebox/data is exactly what the generator makes, so DATASET.md cannot drift."""

import json

import pandas as pd
import pytest

from jukebox_workshop.dataset import validate_dataset
from jukebox_workshop.settings import DEFAULT_DATA_DIR, PROPERTIES_FILE, RANKINGS_FILE, REPORT_FILE

MAX_BYTES = 6 * 1024 * 1024


def test_shipped_data_is_what_generate_makes(default_dataset):
    properties, rankings = validate_dataset(DEFAULT_DATA_DIR)
    pd.testing.assert_frame_equal(properties, default_dataset.properties, check_exact=True)
    pd.testing.assert_frame_equal(rankings, default_dataset.rankings, check_exact=True)
    report = json.loads((DEFAULT_DATA_DIR / REPORT_FILE).read_text())
    assert report == default_dataset.report


def test_shipped_data_stays_small():
    size = sum(
        (DEFAULT_DATA_DIR / name).stat().st_size for name in (PROPERTIES_FILE, RANKINGS_FILE)
    )
    assert size <= MAX_BYTES


@pytest.mark.parametrize("figure", ["top1", "top5", "expected_top1", "expected_top5"])
def test_data_card_quotes_the_report(figure):
    card = (DEFAULT_DATA_DIR / "DATASET.md").read_text()
    report = json.loads((DEFAULT_DATA_DIR / REPORT_FILE).read_text())
    assert f"{report['bayes'][figure]:.1%}" in card
