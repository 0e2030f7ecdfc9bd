"""Where each of the 72 chart countries lies and what it speaks, to read a model's mistakes.

Regions are the United Nations' geographic sub-regions (M49), with Latin America and the
Caribbean as one; languages are each country's official or national languages. Notebook 4
uses them to measure whether the model confuses neighbours more often than chance.
"""

from __future__ import annotations

import pandas as pd

from jukebox_workshop.dataset.schema import COUNTRY_CODES

LATIN_AMERICA = "Latin America and the Caribbean"

# code: (name, region, languages)
_COUNTRIES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "AE": ("United Arab Emirates", "Western Asia", ("Arabic",)),
    "AR": ("Argentina", LATIN_AMERICA, ("Spanish",)),
    "AT": ("Austria", "Western Europe", ("German",)),
    "AU": ("Australia", "Australia and New Zealand", ("English",)),
    "BE": ("Belgium", "Western Europe", ("Dutch", "French", "German")),
    "BG": ("Bulgaria", "Eastern Europe", ("Bulgarian",)),
    "BO": ("Bolivia", LATIN_AMERICA, ("Spanish", "Quechua", "Aymara")),
    "BR": ("Brazil", LATIN_AMERICA, ("Portuguese",)),
    "BY": ("Belarus", "Eastern Europe", ("Belarusian", "Russian")),
    "CA": ("Canada", "Northern America", ("English", "French")),
    "CH": ("Switzerland", "Western Europe", ("German", "French", "Italian")),
    "CL": ("Chile", LATIN_AMERICA, ("Spanish",)),
    "CO": ("Colombia", LATIN_AMERICA, ("Spanish",)),
    "CR": ("Costa Rica", LATIN_AMERICA, ("Spanish",)),
    "CZ": ("Czechia", "Eastern Europe", ("Czech",)),
    "DE": ("Germany", "Western Europe", ("German",)),
    "DK": ("Denmark", "Northern Europe", ("Danish",)),
    "DO": ("Dominican Republic", LATIN_AMERICA, ("Spanish",)),
    "EC": ("Ecuador", LATIN_AMERICA, ("Spanish",)),
    "EE": ("Estonia", "Northern Europe", ("Estonian",)),
    "EG": ("Egypt", "Northern Africa", ("Arabic",)),
    "ES": ("Spain", "Southern Europe", ("Spanish",)),
    "FI": ("Finland", "Northern Europe", ("Finnish", "Swedish")),
    "FR": ("France", "Western Europe", ("French",)),
    "GB": ("United Kingdom", "Northern Europe", ("English",)),
    "GR": ("Greece", "Southern Europe", ("Greek",)),
    "GT": ("Guatemala", LATIN_AMERICA, ("Spanish",)),
    "HK": ("Hong Kong", "Eastern Asia", ("Chinese", "English")),
    "HN": ("Honduras", LATIN_AMERICA, ("Spanish",)),
    "HU": ("Hungary", "Eastern Europe", ("Hungarian",)),
    "ID": ("Indonesia", "South-eastern Asia", ("Indonesian",)),
    "IE": ("Ireland", "Northern Europe", ("English", "Irish")),
    "IL": ("Israel", "Western Asia", ("Hebrew",)),
    "IN": ("India", "Southern Asia", ("Hindi", "English")),
    "IS": ("Iceland", "Northern Europe", ("Icelandic",)),
    "IT": ("Italy", "Southern Europe", ("Italian",)),
    "JP": ("Japan", "Eastern Asia", ("Japanese",)),
    "KR": ("South Korea", "Eastern Asia", ("Korean",)),
    "KZ": ("Kazakhstan", "Central Asia", ("Kazakh", "Russian")),
    "LT": ("Lithuania", "Northern Europe", ("Lithuanian",)),
    "LU": ("Luxembourg", "Western Europe", ("Luxembourgish", "French", "German")),
    "LV": ("Latvia", "Northern Europe", ("Latvian",)),
    "MA": ("Morocco", "Northern Africa", ("Arabic", "Berber")),
    "MX": ("Mexico", LATIN_AMERICA, ("Spanish",)),
    "MY": ("Malaysia", "South-eastern Asia", ("Malay",)),
    "NG": ("Nigeria", "Sub-Saharan Africa", ("English",)),
    "NI": ("Nicaragua", LATIN_AMERICA, ("Spanish",)),
    "NL": ("Netherlands", "Western Europe", ("Dutch",)),
    "NO": ("Norway", "Northern Europe", ("Norwegian",)),
    "NZ": ("New Zealand", "Australia and New Zealand", ("English", "Maori")),
    "PA": ("Panama", LATIN_AMERICA, ("Spanish",)),
    "PE": ("Peru", LATIN_AMERICA, ("Spanish", "Quechua", "Aymara")),
    "PH": ("Philippines", "South-eastern Asia", ("Filipino", "English")),
    "PK": ("Pakistan", "Southern Asia", ("Urdu", "English")),
    "PL": ("Poland", "Eastern Europe", ("Polish",)),
    "PT": ("Portugal", "Southern Europe", ("Portuguese",)),
    "PY": ("Paraguay", LATIN_AMERICA, ("Spanish", "Guarani")),
    "RO": ("Romania", "Eastern Europe", ("Romanian",)),
    "SA": ("Saudi Arabia", "Western Asia", ("Arabic",)),
    "SE": ("Sweden", "Northern Europe", ("Swedish",)),
    "SG": ("Singapore", "South-eastern Asia", ("English", "Malay", "Chinese", "Tamil")),
    "SK": ("Slovakia", "Eastern Europe", ("Slovak",)),
    "SV": ("El Salvador", LATIN_AMERICA, ("Spanish",)),
    "TH": ("Thailand", "South-eastern Asia", ("Thai",)),
    "TR": ("Turkey", "Western Asia", ("Turkish",)),
    "TW": ("Taiwan", "Eastern Asia", ("Chinese",)),
    "UA": ("Ukraine", "Eastern Europe", ("Ukrainian",)),
    "US": ("United States", "Northern America", ("English",)),
    "UY": ("Uruguay", LATIN_AMERICA, ("Spanish",)),
    "VE": ("Venezuela", LATIN_AMERICA, ("Spanish",)),
    "VN": ("Vietnam", "South-eastern Asia", ("Vietnamese",)),
    "ZA": ("South Africa", "Sub-Saharan Africa", ("English", "Afrikaans", "Zulu", "Xhosa")),
}


def country_table() -> pd.DataFrame:
    """One row per country code (the index): name, region, languages (a tuple)."""
    return pd.DataFrame.from_dict(
        {code: _COUNTRIES[code] for code in COUNTRY_CODES},
        orient="index",
        columns=["name", "region", "languages"],
    ).rename_axis("country")
