"""Countries' taste: every country has one, and p(country | features) is a distribution."""

import numpy as np
import pytest

from jukebox_workshop.dataset.build import taste
from jukebox_workshop.dataset.build.features import sample_features
from jukebox_workshop.dataset.schema import COUNTRY_CODES


def test_every_country_belongs_to_exactly_one_region():
    members = [code for region in taste.REGIONS.values() for code in region.countries]
    assert sorted(members) == sorted(COUNTRY_CODES)
    assert set(taste.COUNTRY_LIKES) <= set(COUNTRY_CODES)


@pytest.fixture(scope="module")
def songs():
    return sample_features(2_000, np.random.default_rng(0))


def test_probabilities_are_distributions(songs):
    model = taste.build_taste_model(1.6, np.random.default_rng(0))
    probabilities = model.probabilities(songs)
    assert probabilities.shape == (len(songs), len(COUNTRY_CODES))
    assert np.allclose(probabilities.sum(axis=1), 1)
    assert (probabilities > 0).all()


def test_intercepts_give_each_country_its_share(songs):
    model = taste.build_taste_model(1.6, np.random.default_rng(0))
    targets = np.linspace(1, 2, len(COUNTRY_CODES))
    targets *= len(songs) / targets.sum()
    model = taste.calibrate_intercepts(model, songs, np.ones(len(songs)), targets)
    assert np.allclose(model.probabilities(songs).sum(axis=0), targets, rtol=1e-3)


def test_a_stronger_taste_makes_the_country_easier_to_guess(songs):
    weak = taste.build_taste_model(0.5, np.random.default_rng(0)).probabilities(songs)
    strong = taste.build_taste_model(2.0, np.random.default_rng(0)).probabilities(songs)
    assert taste.expected_bayes_accuracy(strong, 5) > taste.expected_bayes_accuracy(weak, 5)


def test_bayes_accuracy_counts_pairs_among_the_most_likely():
    probabilities = np.array([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]])
    songs, countries = np.array([0, 0, 1]), np.array([0, 2, 2])
    assert taste.bayes_accuracy(probabilities, songs, countries, 1) == pytest.approx(2 / 3)
    assert taste.bayes_accuracy(probabilities, songs, countries, 3) == 1
    assert taste.expected_bayes_accuracy(probabilities, 1) == pytest.approx(0.65)


def test_countries_of_a_song_are_distinct():
    probabilities = np.full((50, len(COUNTRY_CODES)), 1 / len(COUNTRY_CODES))
    reach = np.arange(1, 51) % 40 + 1
    drawn = taste.draw_countries(probabilities, reach, np.random.default_rng(0))
    assert [len(set(countries)) for countries in drawn] == list(reach)
