"""Event id prefixes from ISO 3166 (pycountry), never made up."""

from __future__ import annotations

import dataclasses

import polars as pl
import pytest

from eventcoder.datasets.ids import id_prefixes
from eventcoder.errors import InputError
from eventcoder.schema import load_codebook


@pytest.fixture(scope="module")
def cb():
    return load_codebook()


def _gold(iso: list, country: list) -> pl.DataFrame:
    n = len(iso)
    return pl.DataFrame(
        {
            "article_id": [f"a{i}" for i in range(1, n + 1)],
            "aligned_event": [f"a{i}#1" for i in range(1, n + 1)],
            "iso": pl.Series(iso, dtype=pl.Int64),
            "country": pl.Series(country, dtype=pl.String),
        }
    )


def test_prefixes_are_iso_3166_alpha_3_from_the_numeric_code_or_the_name(cb):
    gold = _gold(
        [760, 180, 4, None, None, None],
        [
            "Syria",
            "Democratic Republic of Congo",
            "Afghanistan",
            "Syrian Arab Republic",
            "Bolivia",
            "Ethiopia",
        ],
    )
    assert id_prefixes(gold, cb).to_list() == ["SYR", "COD", "AFG", "SYR", "BOL", "ETH"]


@pytest.mark.parametrize(
    ("iso", "country", "said"),
    [
        (None, "Democratic Republic of Congo", "iso blank and country 'Democratic Republic"),
        (999, "Syria", "iso '999' and country 'Syria'"),
        (None, "Kosovo", "iso blank and country 'Kosovo'"),
    ],
)
def test_an_unknown_country_is_refused_naming_the_row(cb, iso, country, said):
    gold = _gold([760, iso], ["Syria", country])
    with pytest.raises(
        InputError,
        match=f"gold event row 2 \\(article_id a2, aligned_event "
        f"a2#1\\): {said}.* name no ISO 3166 country",
    ):
        id_prefixes(gold, cb)


def test_the_codebook_maps_countries_iso_does_not_list_or_other_acronyms(cb):
    mapped = dataclasses.replace(
        cb, settings={**cb.settings, "id_prefixes": {"Kosovo": "XKX", "12": "ALG"}}
    )
    gold = _gold([None, 12, 760], ["Kosovo", "Algeria", "Syria"])
    assert id_prefixes(gold, mapped).to_list() == ["XKX", "ALG", "SYR"]
    bad = dataclasses.replace(cb, settings={**cb.settings, "id_prefixes": {"Kosovo": "xk1"}})
    with pytest.raises(InputError, match="settings.id_prefixes.Kosovo is 'xk1'"):
        id_prefixes(gold, bad)


def test_no_country_at_all_takes_the_codebooks_own_prefix(cb):
    assert id_prefixes(_gold([None], [None]), cb).to_list() == ["EV"]
