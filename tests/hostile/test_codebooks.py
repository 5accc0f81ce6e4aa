"""Hostile codebooks: each is refused at load, in lines naming the file and the entry.

Each test holds the smallest codebook that shows its class, and fails if the refusal is undone.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from eventcoder.cli import app
from eventcoder.errors import CodebookError
from eventcoder.schema.codebook import Codebook

runner = CliRunner()

# The smallest codebook that loads: one field, one vocabulary.
BASE = """\
codebook: {name: tiny, version: "1"}
fields:
  - {name: kind, type: string, vocabulary: kinds, level: nominal}
  - {name: deaths, type: integer, level: ratio}
vocabularies:
  kinds:
    values:
      - value: a
"""


def write(tmp_path: Path, text: str | bytes, name: str = "codebook.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def check(path: Path) -> list[str]:
    """Run ``codebook check``; assert it refused in lines naming the file; return the lines."""
    result = runner.invoke(app, ["codebook", "check", str(path)])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    lines = [" ".join(line.split()) for line in result.output.strip().splitlines()]
    assert lines and all(line.startswith(f"error: {path}: ") for line in lines), lines
    return lines


def problems(path: Path) -> dict[str, str]:
    with pytest.raises(CodebookError) as caught:
        Codebook.from_file(path)
    assert caught.value.path == str(path)
    return dict(caught.value.problems)


def test_the_base_codebook_loads(tmp_path):
    assert Codebook.from_file(write(tmp_path, BASE)).field_names == ("kind", "deaths")


def test_an_alias_bomb_is_refused_at_check(tmp_path):
    # Nine levels of nine aliases: 9**9 (387 million) values from 90 lines' worth of YAML.
    levels = ["        l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 10):
        levels.append(f"        l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]")
    path = write(tmp_path, BASE + "\n".join(levels) + "\n")
    [line] = check(path)
    assert "aliases repeat more than 10,000 values" in line
    assert "line 1" in line  # the entry: where in the file the bound was passed


def test_an_alias_that_contains_itself_is_refused(tmp_path):
    path = write(tmp_path, BASE + "        loop: &me [*me]\n")
    [line] = check(path)
    assert "alias *me refers to itself" in line


def test_aliases_within_the_bound_still_load(tmp_path):
    text = BASE.replace("      - value: a\n", "      - {value: a, note: &n shared}\n") + (
        "      - {value: b, note: *n}\n"
    )
    cb = Codebook.from_file(write(tmp_path, text))
    assert [t.attributes["note"] for t in cb.vocabularies["kinds"].terms] == ["shared", "shared"]


def test_a_codebook_that_is_not_utf8_is_one_line(tmp_path):
    path = write(tmp_path, BASE.replace("value: a", "value: caf\xe9").encode("latin-1"))
    [line] = check(path)
    assert "file: is not UTF-8 text (byte 0xe9 at offset" in line


def test_deep_nesting_is_one_line(tmp_path):
    path = write(tmp_path, BASE + "        deep: " + "[" * 100_000 + "]" * 100_000 + "\n")
    [line] = check(path)
    assert "nested deeper than 50 levels" in line


def test_a_key_given_twice_is_refused(tmp_path):
    # YAML keeps the second `kinds` silently: the first vocabulary would vanish unseen.
    path = write(tmp_path, BASE + "  kinds:\n    values: [b]\n")
    [line] = check(path)
    assert "key 'kinds' appears twice" in line


@pytest.mark.parametrize("name", ["coder's note", "note; DROP TABLE x", "1st", "_row", "ü"])
def test_field_names_are_identifiers(tmp_path, name):
    text = BASE.replace(
        "  - {name: deaths,", f"  - {{name: {name!r}, type: string}}\n  - {{name: deaths,"
    )
    found = problems(write(tmp_path, text))
    assert "is not an identifier" in found["fields[1]"]


def test_field_names_of_eventcoder_columns_are_refused(tmp_path):
    text = BASE.replace("  - {name: deaths,", "  - {name: coder, type: string}\n  - {name: deaths,")
    found = problems(write(tmp_path, text))
    assert found["fields.coder"] == (
        "'coder' is a name eventcoder uses itself (a column it adds, or a tag of the labeling "
        "config): rename the field"
    )


def test_every_setting_is_checked_at_load_and_every_problem_reported(tmp_path):
    settings = """\
settings:
  adjudication:
    ties: {fatalities: lowest, kind: median, deaths: coin-flip}
  agreement: {pass: 0.5, tentative: 0.9}
  alignment: {threshold: 2}
  coordinate_tolerance_km: -1
  id_prefix: ev-
  hierachy: kinds
"""
    path = write(tmp_path, BASE + settings)
    lines = check(path)
    found = problems(path)
    typo = found.pop("settings.hierachy")
    assert typo.startswith("unknown setting (known: hierarchy, ") and "adjudication" in typo
    assert found == {
        "settings.adjudication.ties.fatalities": "no field called 'fatalities'",
        "settings.adjudication.ties.kind": "policy 'median' needs a number or a date; kind is a "
        "string",
        "settings.adjudication.ties.deaths": "unknown tie policy 'coin-flip' (known: "
        "unresolved, first-coder, lowest, median)",
        "settings.agreement": "tentative (0.9) is above pass (0.5)",
        "settings.alignment.threshold": "must be above 0 and at most 1, not 2",
        "settings.coordinate_tolerance_km": "must be a distance in km above 0, not -1",
        "settings.id_prefix": "'ev-' is not 1 to 10 capital letters (ids are prefix + serial)",
    }
    assert len(lines) == len(found) + 1


def test_id_prefixes_are_checked_at_load(tmp_path):
    ok = BASE + "settings:\n  id_prefixes: {Kosovo: XKX, '12': ALG}\n"
    assert Codebook.from_file(write(tmp_path, ok)).settings["id_prefixes"]["Kosovo"] == "XKX"
    bad = BASE + "settings:\n  id_prefixes: {Kosovo: xk1}\n"
    found = problems(write(tmp_path, bad, "bad.yaml"))
    assert found == {
        "settings.id_prefixes.Kosovo": "'xk1' is not 1 to 10 capital letters (ids are prefix + "
        "serial)"
    }


def test_files_that_are_not_codebooks_are_refused_without_reading_them(tmp_path):
    # /dev/zero never ends: reading it whole would take all memory.
    assert problems(Path("/dev/zero")) == {"file": "is not a regular file"}
    text = BASE + "references: {actors: /dev/zero}\n"
    found = problems(write(tmp_path, text))
    assert found == {"references.actors": "/dev/zero is not a regular file"}


def test_a_huge_file_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "huge.yaml"
    with path.open("wb") as out:
        out.truncate(17 << 20)  # sparse: no disk used
    assert problems(path) == {"file": "is over 16 MB, far more than any codebook"}


def test_silent_coercions_are_refused(tmp_path):
    text = BASE.replace("level: ratio}", "level: ratio, required: 'no'}") + (
        "settings:\n  coordinate_tolerance_km: .nan\n  agreement: {pass: .inf}\n"
        'rules:\n  - {id: "bad id\\nsecond line", kind: range, field: deaths, min: 0}\n'
    )
    found = problems(write(tmp_path, text))
    assert found["fields.deaths.required"] == "must be true or false, not 'no'"
    assert found["settings.coordinate_tolerance_km"] == "must be a distance in km above 0, not nan"
    assert found["settings.agreement.pass"] == "must be an alpha between 0 and 1, not inf"
    assert found["rules[0]"].startswith("id 'bad id\\nsecond line' is not letters, digits")


PLAIN = ["NO", "off", "yes", "010", "0x1F", "1_000", "12:30", "2020-01-01", "1e3", "+5", "0o7"]


def test_terms_are_the_text_written_never_a_yaml_11_bool_number_or_date(tmp_path):
    # YAML 1.1 reads NO (Norway) and off as false, 010 as 8, 0x1F as 31, 1_000 as 1000, 12:30
    # as 750 and 2020-01-01 as a date: each term would have changed, or vanished, unseen.
    values = "".join(f"      - value: {v}\n" for v in PLAIN)
    cb = Codebook.from_file(write(tmp_path, BASE.replace("      - value: a\n", values)))
    assert cb.vocabularies["kinds"].values == tuple(PLAIN)
    assert cb.vocabularies["kinds"].spellings() == {v: v for v in PLAIN}


def test_a_code_or_text_yaml_would_change_is_refused(tmp_path):
    text = (
        BASE.replace('version: "1"', "version: 1.10").replace(
            "- value: a", "- {value: a, code: 010}"
        )
        + "    null_codes: 0\n"
    )
    found = problems(write(tmp_path, text))
    assert found == {
        "codebook.version": "YAML reads this as float 1.1, not as text: put it in quotes",
        "vocabularies.kinds.values[0].code": "'010' is not a whole number of at most 18 digits",
        "vocabularies.kinds.null_codes": "must be a list of whole numbers",
    }


def test_terms_that_look_alike_or_hide_characters_are_refused(tmp_path):
    # Two choices a coder cannot tell apart split one value in two in the agreement; a term
    # with a hidden character or a space around it matches no value a table holds.
    terms = ["Caf\u00e9", "Cafe\u0301", "Norway", "norway", "Nor\u200bway", "Oslo ", "Oslo\u00a0x"]
    values = "".join(f'      - value: "{t}"\n' for t in terms)
    found = problems(write(tmp_path, BASE.replace("      - value: a\n", values)))
    where = "vocabularies.kinds.values"
    assert found == {
        f"{where}[1]": "'Cafe\\u0301' differs from 'Café' only in letter case or Unicode form: "
        "coders and readers cannot tell them apart",
        f"{where}[3]": "'norway' differs from 'Norway' only in letter case or Unicode form: "
        "coders and readers cannot tell them apart",
        f"{where}[4]": "'Nor\\u200bway' holds an invisible or unusual character U+200B "
        "(ZERO WIDTH SPACE)",
        f"{where}[5]": "'Oslo ' has spaces around it (values are trimmed when read, so it would "
        "match nothing)",
        f"{where}[6]": "'Oslo\\xa0x' holds an invisible or unusual character U+00A0 "
        "(NO-BREAK SPACE)",
    }


def test_field_names_differing_only_in_case_or_reserved_in_any_case_are_refused(tmp_path):
    # Headers are matched in any case (and SQL names ignore it): Kind would read kind's column.
    text = BASE.replace(
        "fields:\n", "fields:\n  - {name: Kind, type: string}\n  - {name: TASK_ID, type: string}\n"
    )
    found = problems(write(tmp_path, text))
    assert found == {
        "fields.kind": "differs from field 'Kind' only in letter case; columns are matched in "
        "any case",
        "fields.TASK_ID": "'TASK_ID' is a name eventcoder uses itself (a column it adds, or a "
        "tag of the labeling config): rename the field",
    }


def test_a_misspelt_or_non_path_reference_list_is_refused(tmp_path):
    # `actor:` for `actors:` used to be ignored: validation then ran without the actor list.
    text = BASE + "references: {actor: actors.csv, gazetteer: [places.csv]}\n"
    assert problems(write(tmp_path, text)) == {
        "references.actor": "unknown key (known: actors, gazetteer)",
        "references.gazetteer": "must be the path of a file, not ['places.csv']",
    }


def test_control_characters_anywhere_in_the_text_are_refused(tmp_path):
    # YAML's "\e" escape wrote ESC into the title: `codebook docs` printed a terminal sequence
    # (clear the screen, set the window title) and the labeling config and data card held it.
    text = (
        BASE.replace('version: "1"', 'version: "1", title: "T\\e[2J\\e]0;x\\a"')
        .replace("level: ratio}", 'level: ratio, description: "a\\u202eb"}')
        .replace("      - value: a\n", '      - {value: a, "k\\e": 1}\n')
    )
    found = problems(write(tmp_path, text))
    said = "(the codebook's text reaches terminals, coding instructions, Label Studio and data "
    assert found == {
        "codebook.title": f"holds the control character U+001B: remove it {said}cards as written)",
        "fields[1].description": f"holds the control character U+202E: remove it {said}cards "
        "as written)",
        "vocabularies.kinds.values[0].'k\\x1b'": "holds the control character U+001B: remove "
        f"it {said}cards as written)",
    }


@pytest.mark.parametrize(
    ("text", "entry"),
    [
        (BASE + "settings: {hierarchy: [kinds]}\n", "settings.hierarchy"),
        (BASE + "settings: {roles: {date: [kind]}}\n", "settings.roles.date"),
        (BASE + "settings: {evidence_field: {a: 1}}\n", "settings.evidence_field"),
        (BASE.replace("vocabulary: kinds", "vocabulary: {a: 1}"), "fields.kind"),
        (BASE.replace("  kinds:\n", "  ~:\n"), "vocabularies.None"),
        (BASE.replace("value: a", 'value: "\\ud800"'), "vocabularies.kinds.values[0].value"),
        (
            BASE.replace("value: a", "{value: a, code: 1" + "0" * 5000 + "}"),
            "vocabularies.kinds.values[0].code",
        ),
    ],
)
def test_odd_values_in_settings_and_names_are_one_line_not_a_traceback(tmp_path, text, entry):
    # A list where a name belongs was looked up in a dict (unhashable: a traceback), a
    # 5,000-digit number overflowed Python's int conversion, a lone surrogate loaded and broke
    # every file later written as UTF-8.
    lines = check(write(tmp_path, text))
    assert any(line.startswith(f"error: {tmp_path / 'codebook.yaml'}: {entry}: ") for line in lines)


def test_a_long_number_is_the_text_written(tmp_path):
    long = "1" + "0" * 5000
    cb = Codebook.from_file(write(tmp_path, BASE.replace("value: a", f"value: {long}")))
    assert cb.vocabularies["kinds"].values == (long,)


def test_fields_named_like_the_labeling_configs_own_tags_are_refused(tmp_path):
    # A field called label or text made a second tag of that name: `project config` and
    # `project create` then died on an assertion (a traceback) instead of naming the field.
    text = BASE.replace(
        "fields:\n",
        "fields:\n  - {name: label, type: string}\n  - {name: Text, type: string}\n"
        "  - {name: kind__a, type: string}\n",
    )
    lines = check(write(tmp_path, text))
    assert len(lines) == 3
    assert "fields.label: 'label' is a name eventcoder uses itself" in lines[0]
    assert "fields.Text: 'Text' is a name eventcoder uses itself" in lines[1]
    assert "fields.kind__a: 'kind__a' holds '__'" in lines[2]


def test_codebook_show_prints_markup_in_terms_and_messages_as_written(tmp_path):
    # A rule message holding '[/]' was read as rich markup: a MarkupError traceback; '[red]' in
    # a term vanished into a style.
    text = BASE.replace("      - value: a\n", '      - value: "[red]r"\n      - value: "[/]"\n') + (
        "settings: {hierarchy: kinds}\n"
        'rules:\n  - {id: r1, kind: range, field: deaths, min: 0, message: "m [/] [x]"}\n'
    )
    result = runner.invoke(app, ["codebook", "show", "--codebook", str(write(tmp_path, text))])
    assert result.exit_code == 0, result.output
    assert "m [/] [x]" in result.output and "[red]r" in result.output


def test_range_bounds_must_be_what_the_field_holds(tmp_path):
    # Unchecked, `min: yes` compared values with True and `min: .nan` rejected nothing.
    text = BASE + (
        "rules:\n"
        "  - {id: r1, kind: range, field: deaths, min: yes, max: .nan}\n"
        "  - {id: r2, kind: range, field: kind, min: 0}\n"
    )
    assert problems(write(tmp_path, text)) == {
        "rules[r1].min": "must be a number, not 'yes'",
        "rules[r1].max": "must be a number, not nan",
        "rules[r2].min": "a string field has no range",
    }


def test_a_date_bound_written_plainly_is_a_date(tmp_path):
    # Plain YAML reads no dates now: the bound is the text 1997-01-01, made a date by the rule.
    import polars as pl

    from eventcoder.schema.validation import validate

    text = BASE.replace("fields:\n", "fields:\n  - {name: day, type: date}\n") + (
        "rules:\n  - {id: since, kind: range, field: day, min: 1997-01-01, max: today}\n"
    )
    cb = Codebook.from_file(write(tmp_path, text))
    rows = pl.DataFrame({"day": ["1996-12-31", "1997-01-01"], "kind": ["a", "a"], "deaths": [0, 0]})
    result = validate(rows, cb, "events")
    assert result.rejected["day"].to_list() == ["1996-12-31"]


def test_rule_parameters_that_would_fail_the_run_are_refused_at_load(tmp_path):
    # Each loaded, then failed `validate` with a traceback (an unknown date part, a pattern
    # polars cannot compile, text compared with numbers) or read 'abc' as a, b and c.
    text = BASE.replace("fields:\n", "fields:\n  - {name: day, type: date}\n") + (
        "rules:\n"
        "  - {id: r1, kind: required_if, when: {field: deaths, in: [a]}, fields: [kind]}\n"
        "  - {id: r2, kind: date_part, field: deaths, of: day, part: foo}\n"
        '  - {id: r3, kind: required_if, when: {field: kind, matches: "[x"}, fields: [deaths]}\n'
        "  - {id: r4, kind: allowed_if, when: {field: kind, in: abc}, fields: [deaths],"
        " values: [0]}\n"
    )
    assert problems(write(tmp_path, text)) == {
        "rules[r1].when.in": "'a' is not a value of an integer field",
        "rules[r2].part": "'foo' is not one of year, quarter, month, week, day, weekday, "
        "ordinal_day",
        "rules[r3].when.matches": "'[x' is not a regular expression polars can use",
        "rules[r4].when.in": "must be a list of values, not 'abc'",
    }


@pytest.mark.parametrize(
    ("rule", "entry", "says"),
    [
        ("{id: r, kind: unique, fields: deaths}", ".fields", "must be a non-empty list of field"),
        ("{id: r, kind: unique, fields: []}", ".fields", "must be a non-empty list of field"),
        ("{id: r, kind: in_vocabulary, field: kind, vocabulary: [kinds]}", ".vocabulary", "must"),
        ("{id: r, kind: range, field: deaths, max_field: [deaths]}", ".max_field", "must be the"),
        ("{id: r, kind: date_part, field: deaths, of: kind, part: year}", ".of", "is not a date"),
        ("{id: r, kind: date_part, field: deaths, of: kind, part: year, derive: 'no'}", ".derive",
         "must be true or false"),
        ("{id: r, kind: required_if, when: {field: kind, is_null: 'no'}, fields: [deaths]}",
         ".when.is_null", "must be true"),
    ],
)  # fmt: skip
def test_rule_parameters_of_the_wrong_shape_are_refused_at_load(tmp_path, rule, entry, says):
    # Each loaded; validate then died (unhashable list, IndexError, a polars error), or read a
    # string as its letters, or 'no' as true.
    found = problems(write(tmp_path, BASE + f"rules:\n  - {rule}\n"))
    assert says in found[f"rules[r]{entry}"], found


def test_a_key_with_a_line_break_is_named_on_one_line(tmp_path):
    lines = check(write(tmp_path, BASE + '"sett\\nings": {}\n'))
    assert lines == [
        f"error: {tmp_path / 'codebook.yaml'}: sett\\nings: unknown section "
        "(expected one of codebook, fields, references, rules, settings, vocabularies)"
    ]
