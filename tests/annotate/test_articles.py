"""Tests for reading article files (JSONL and CSV)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventcoder.annotate.articles import FIELDS, Article, read_articles
from eventcoder.errors import InputError

DATA = Path(__file__).resolve().parent.parent / "data"


def _write_jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def test_sample_articles() -> None:
    articles = read_articles(DATA / "articles.jsonl")
    assert [a.id for a in articles] == ["art-001", "art-002", "art-003", "art-004", "art-005"]
    first = articles[0]
    assert first.title == "Shelling hits two villages in Jabal al-Zawiya"
    assert first.text.startswith("On 3 May 2024, Syrian government forces shelled")
    assert (first.source, first.published) == ("Syrian Observatory for Human Rights", "2024-05-04")
    assert first.url == "https://example.org/news/art-001"
    assert "<script>alert('x')</script>" in articles[3].text  # verbatim, not escaped


def test_task_data_has_every_field() -> None:
    data = Article(id="a", text="t").task_data()
    assert data == {"id": "a", "title": "", "text": "t", "source": "", "url": "", "published": ""}
    assert set(data) == set(FIELDS)


def test_jsonl_and_csv_give_the_same_articles(tmp_path: Path) -> None:
    articles = read_articles(DATA / "articles.jsonl")
    path = tmp_path / "articles.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(FIELDS))
        writer.writeheader()
        for a in articles:
            writer.writerow(a.task_data())
    assert read_articles(path) == articles


def test_aliases_numbers_nulls_and_extra_keys(tmp_path: Path) -> None:
    path = _write_jsonl(
        tmp_path / "a.jsonl",
        [{"id": 7, "text": "x", "publication_date": "2024-01-02", "title": None, "lang": "en"}],
    )
    assert read_articles(path) == [Article(id="7", text="x", published="2024-01-02")]


def test_blank_lines_are_skipped_and_line_numbers_counted(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text('{"id": "a", "text": "x"}\n\n{"id": "a", "text": "y"}\n', "utf-8")
    with pytest.raises(InputError) as caught:
        read_articles(path)
    assert str(caught.value) == (
        f"{path}:3: duplicate id 'a' (first on line 1); ids must be unique."
    )


@pytest.mark.parametrize(
    ("lines", "where", "words"),
    [
        ('{"id": "a", "text": "x"}\n{"id": "b", "text": \n', 2, "not valid JSON"),
        ('{"id": "a", "text": "x"}\n["a", "b"]\n', 2, "expected a JSON object"),
        ('{"text": "x"}\n', 1, "has no id"),
        ('{"id": "  ", "text": "x"}\n', 1, "has no id"),
        ('{"id": "a", "text": "x"}\n{"id": "b"}\n', 2, "'b' has no text"),
        ('{"id": "a", "text": "   "}\n', 1, "'a' has no text"),
    ],
)
def test_bad_jsonl_names_file_and_line(tmp_path: Path, lines: str, where: int, words: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(lines, "utf-8")
    with pytest.raises(InputError) as caught:
        read_articles(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{where}: ")
    assert words in message
    assert "\n" not in message
    assert caught.value.path == str(path)


def test_csv_line_numbers_count_multiline_fields(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text('id,text\na,"line one\nline two"\nb,x\na,again\n', "utf-8")
    with pytest.raises(InputError) as caught:
        read_articles(path)
    assert str(caught.value).startswith(f"{path}:5: duplicate id 'a' (first on line 2)")


def test_csv_without_text_column(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("id,body\na,x\n", "utf-8")
    with pytest.raises(InputError, match=r"a\.csv:1: no text column"):
        read_articles(path)


def test_csv_with_bom_and_long_text(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    long = "word " * 60_000  # beyond the csv module's default field limit
    path.write_text("\ufeffid,text\nz," + long + "\n", "utf-8")
    assert read_articles(path) == [Article(id="z", text=long)]


def test_unknown_suffix_missing_file_and_bad_encoding(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="use .jsonl or .csv"):
        read_articles(tmp_path / "a.txt")
    with pytest.raises(InputError, match="no such file"):
        read_articles(tmp_path / "none.jsonl")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("id,text\na,caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8"):
        read_articles(latin)


texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"),
    min_size=1,
).filter(str.strip)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(texts, texts), min_size=1, max_size=5, unique_by=lambda p: p[0].strip()))
def test_jsonl_round_trip(tmp_path_factory: pytest.TempPathFactory, pairs: list) -> None:
    path = tmp_path_factory.mktemp("rt") / "a.jsonl"
    articles = [Article(id=i.strip(), text=t, title=t[:5]) for i, t in pairs]
    _write_jsonl(path, [a.task_data() for a in articles])
    assert read_articles(path) == articles
