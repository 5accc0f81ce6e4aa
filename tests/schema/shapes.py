"""Event rows written for these tests (no ACLED data), and the files people hold them in.

``ROWS`` are six events in ACLED's current conventions, chosen for what real extracts carry:
two countries that both have a place called Bara (Mali; Syria, where the gazetteer lists it as an
alternate name of Al Bara), an event at sea with no admin levels (Coast of Benin), accented
place names (Ségou), notes with commas, semicolons and quotes, and days above 12 so that a
column's day/month order can be told.

``write_shape`` writes them the way a tool writes a file; tests/data/shapes/ holds the files
written with it (regenerate with ``python -m tests.schema.shapes``).
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import polars as pl

from tests.schema.rows import ACTOR_CODES, INTERACTION_CODES

COLUMNS = (
    "event_id_cnty event_date year time_precision disorder_type event_type sub_event_type actor1 "
    "assoc_actor_1 inter1 actor2 assoc_actor_2 inter2 interaction civilian_targeting iso region "
    "country admin1 admin2 admin3 location latitude longitude geo_precision source source_scale "
    "notes fatalities tags timestamp"
).split()

# The 2019-2022 layout as ACLED's export tool wrote it (numeric actor types and interaction).
LAYOUT_2019 = (
    "data_id iso event_id_cnty event_id_no_cnty event_date year time_precision event_type "
    "sub_event_type actor1 assoc_actor_1 inter1 actor2 assoc_actor_2 inter2 interaction region "
    "country admin1 admin2 admin3 location latitude longitude geo_precision source source_scale "
    "notes fatalities timestamp iso3"
).split()

ROWS: list[dict[str, str | None]] = [
    dict(
        event_id_cnty="MLI91001",
        event_date="2020-05-09",
        time_precision="1",
        disorder_type="Political violence",
        event_type="Battles",
        sub_event_type="Armed clash",
        actor1="Katiba Macina",
        assoc_actor_1=None,
        inter1="Rebel group",
        actor2="Military Forces of Mali (2012-2020)",
        assoc_actor_2=None,
        inter2="State forces",
        interaction="State forces-Rebel group",
        civilian_targeting=None,
        iso="466",
        region="Western Africa",
        country="Mali",
        admin1="Mopti",
        admin2="Djenne",
        admin3="Femaye",
        location="Bara",
        latitude="14.0512",
        longitude="-4.6033",
        geo_precision="1",
        source="Studio Tamani",
        source_scale="National",
        notes="On 9 May 2020, gunmen clashed with soldiers near Bara; 3 soldiers were killed.",
        fatalities="3",
        tags=None,
    ),
    dict(
        event_id_cnty="SYR91002",
        event_date="2020-06-04",
        time_precision="1",
        disorder_type="Political violence",
        event_type="Explosions/Remote violence",
        sub_event_type="Shelling/artillery/missile attack",
        actor1="Military Forces of Syria (2000-2024)",
        assoc_actor_1=None,
        inter1="State forces",
        actor2=None,
        assoc_actor_2=None,
        inter2=None,
        interaction="State forces only",
        civilian_targeting=None,
        iso="760",
        region="Middle East",
        country="Syria",
        admin1="Idleb",
        admin2="Ariha",
        admin3="Ehsem",
        location="Bara",
        latitude="35.6867",
        longitude="36.5339",
        geo_precision="1",
        source="Enab Baladi",
        source_scale="National",
        notes='On 4 June 2020, artillery shelled the outskirts of Bara ("al-Bara"). No casualties.',
        fatalities="0",
        tags=None,
    ),
    dict(
        event_id_cnty="BEN91003",
        event_date="2019-12-31",
        time_precision="2",
        disorder_type="Political violence",
        event_type="Violence against civilians",
        sub_event_type="Abduction/forced disappearance",
        actor1="Unidentified Armed Group (Benin)",
        assoc_actor_1=None,
        inter1="Political militia",
        actor2="Civilians (International)",
        assoc_actor_2="Fishers (International)",
        inter2="Civilians",
        interaction="Political militia-Civilians",
        civilian_targeting="Civilian targeting",
        iso="204",
        region="Western Africa",
        country="Benin",
        admin1=None,
        admin2=None,
        admin3=None,
        location="Coast of Benin",
        latitude="6.1500",
        longitude="2.4000",
        geo_precision="3",
        source="Maritime security bulletin",
        source_scale="International",
        notes="Around 31 December 2019, armed men boarded a fishing vessel off the coast and "
        "took 4 crew members.",
        fatalities="0",
        tags=None,
    ),
    dict(
        event_id_cnty="NIG91004",
        event_date="2021-11-17",
        time_precision="1",
        disorder_type="Demonstrations",
        event_type="Protests",
        sub_event_type="Peaceful protest",
        actor1="Protesters (Nigeria)",
        assoc_actor_1="Traders (Nigeria)",
        inter1="Protesters",
        actor2=None,
        assoc_actor_2=None,
        inter2=None,
        interaction="Protesters only",
        civilian_targeting=None,
        iso="566",
        region="Western Africa",
        country="Nigeria",
        admin1="Lagos",
        admin2="Lagos Island",
        admin3=None,
        location="Lagos - Lagos Island",
        latitude="6.4541",
        longitude="3.3947",
        geo_precision="1",
        source="Punch (Nigeria)",
        source_scale="National",
        notes="On 17 November 2021, traders protested, in Lagos Island, against a new levy; "
        "no injuries.",
        fatalities="0",
        tags="crowd size=around 200",
    ),
    dict(
        event_id_cnty="BFO91005",
        event_date="2018-03-25",
        time_precision="1",
        disorder_type="Political violence",
        event_type="Violence against civilians",
        sub_event_type="Attack",
        actor1="Unidentified Armed Group (Burkina Faso)",
        assoc_actor_1=None,
        inter1="Political militia",
        actor2="Civilians (Burkina Faso)",
        assoc_actor_2=None,
        inter2="Civilians",
        interaction="Political militia-Civilians",
        civilian_targeting="Civilian targeting",
        iso="854",
        region="Western Africa",
        country="Burkina Faso",
        admin1="Est",
        admin2="Gourma",
        admin3="Fada N'gourma",
        location="Fada N'gourma",
        latitude="12.0616",
        longitude="0.3584",
        geo_precision="1",
        source="Le Faso.net",
        source_scale="National",
        notes="On 25 March 2018, gunmen killed 2 herders near Fada N'gourma.",
        fatalities="2",
        tags=None,
    ),
    dict(
        event_id_cnty="MLI91006",
        event_date="2020-08-05",
        time_precision="1",
        disorder_type="Political violence",
        event_type="Explosions/Remote violence",
        sub_event_type="Remote explosive/landmine/IED",
        actor1="Unidentified Armed Group (Mali)",
        assoc_actor_1=None,
        inter1="Political militia",
        actor2="Military Forces of Mali (2012-2020)",
        assoc_actor_2=None,
        inter2="State forces",
        interaction="State forces-Political militia",
        civilian_targeting=None,
        iso="466",
        region="Western Africa",
        country="Mali",
        admin1="Ségou",
        admin2="Niono",
        admin3="Diabaly",
        location="Diabaly",
        latitude="14.6872",
        longitude="-6.0147",
        geo_precision="1",
        source="Studio Tamani; Maliweb",
        source_scale="National",
        notes="On 5 August 2020, an IED hit an army vehicle near Diabaly, by the “Office du "
        "Niger” canal; 1 soldier killed.",
        fatalities="1",
        tags=None,
    ),
]
for _row in ROWS:
    _row["year"] = str(date.fromisoformat(str(_row["event_date"])).year)
    _row["timestamp"] = "1700000000"


def dates(fmt: str) -> list[str]:
    """The rows' event dates written with ``fmt`` (``%-d``: a day without its leading zero)."""
    out = []
    for row in ROWS:
        day = date.fromisoformat(str(row["event_date"]))
        out.append(day.strftime(fmt.replace("%-d", str(day.day))))
    return out


def _csv(
    header: list[str],
    rows: list[list[str | None]],
    *,
    delimiter: str = ",",
    newline: str = "\n",
    quote_all: bool = False,
    missing: str = "",
) -> str:
    buf = io.StringIO()
    quoting = csv.QUOTE_NONNUMERIC if quote_all else csv.QUOTE_MINIMAL
    writer = csv.writer(buf, delimiter=delimiter, lineterminator=newline, quoting=quoting)
    writer.writerow(header)
    for row in rows:
        if quote_all:
            # R's write.csv: strings quoted, numbers bare, NA bare.
            cells = []
            for v in row:
                if v is None:
                    cells.append(_Bare(missing))
                else:
                    cells.append(_Bare(v) if _is_number(v) else v)
            writer.writerow(cells)
        else:
            writer.writerow([missing if v is None else v for v in row])
    return buf.getvalue()


class _Bare(float):
    """A cell csv.QUOTE_NONNUMERIC leaves unquoted, printed as the text given."""

    def __new__(cls, text: str) -> _Bare:
        obj = super().__new__(cls, 0.0)
        obj.text = text  # type: ignore[attr-defined]
        return obj

    def __repr__(self) -> str:
        return self.text  # type: ignore[attr-defined,no-any-return]

    __str__ = __repr__


def _is_number(v: str) -> bool:
    try:
        float(v)
    except ValueError:
        return False
    return True


def current_layout(date_format: str = "%Y-%m-%d") -> tuple[list[str], list[list[str | None]]]:
    """Header and cells of the current 31-column layout, actor types as text labels."""
    written = dates(date_format)
    rows = [
        [written[i] if c == "event_date" else r.get(c) for c in COLUMNS] for i, r in enumerate(ROWS)
    ]
    return list(COLUMNS), rows


def layout_2019() -> tuple[list[str], list[list[str | None]]]:
    """Header and cells of the 2019-2022 export: numeric codes, ``17 November 2021`` dates."""
    written = dates("%d %B %Y")
    rows = []
    for i, r in enumerate(ROWS):
        cells = dict(
            r,
            event_date=written[i],
            data_id=str(7000 + i),
            event_id_no_cnty=str(r["event_id_cnty"])[3:],
            iso3={"466": "MLI", "760": "SYR", "204": "BEN", "566": "NGA", "854": "BFA"}[
                str(r["iso"])
            ],
            inter1=ACTOR_CODES[str(r["inter1"])],
            inter2=ACTOR_CODES.get(str(r["inter2"]), "0"),
            interaction=INTERACTION_CODES[str(r["interaction"])],
        )
        rows.append([cells.get(c) for c in LAYOUT_2019])
    return list(LAYOUT_2019), rows


def write_shape(shape: str, path: Path, date_format: str = "%Y-%m-%d") -> Path:
    """Write ROWS to ``path`` the way ``shape`` writes a file; return the path."""
    if shape == "export-tool":  # ACLED's 2019-2022 export tool: ';', every text cell quoted
        header, rows = layout_2019()
        text = _csv(header, rows, delimiter=";", quote_all=True)
        path.write_bytes(text.encode("utf-8"))
    elif shape == "excel":  # saved by a spreadsheet as "CSV UTF-8": BOM, CRLF, its date form
        header, rows = current_layout(date_format)
        path.write_bytes(b"\xef\xbb\xbf" + _csv(header, rows, newline="\r\n").encode("utf-8"))
    elif shape == "r":  # R's write.csv: row names in an unnamed first column, NA for blank
        header, rows = current_layout()
        rows = [[str(i + 1), *row] for i, row in enumerate(rows)]
        text = _csv(["", *header], rows, quote_all=True, missing="NA")
        path.write_bytes(text.encode("utf-8"))
    elif shape == "upper":  # older habits: upper-case headers, tab-separated
        header, rows = current_layout()
        text = _csv([h.upper() for h in header], rows, delimiter="\t")
        path.write_bytes(text.encode("utf-8"))
    elif shape == "cp1252":  # saved on Windows in its Western code page, CRLF
        header, rows = current_layout("%d/%m/%Y")
        path.write_bytes(_csv(header, rows, newline="\r\n").encode("cp1252"))
    elif shape == "v7":  # ACLED version 7 (until 2018): upper case, ALLY_ACTOR_*, GWNO
        header = (
            "GWNO EVENT_ID_CNTY EVENT_ID_NO_CNTY EVENT_DATE YEAR TIME_PRECISION EVENT_TYPE "
            "ACTOR1 ALLY_ACTOR_1 INTER1 ACTOR2 ALLY_ACTOR_2 INTER2 INTERACTION COUNTRY ADMIN1 "
            "ADMIN2 ADMIN3 LOCATION LATITUDE LONGITUDE GEO_PRECISION SOURCE NOTES FATALITIES"
        ).split()
        rows = [
            [
                "432",
                "MLI4101",
                "4101",
                "01-January-2015",
                "2015",
                "1",
                "Riots/Protests",
                "Protesters (Mali)",
                "",
                "6",
                "",
                "",
                "0",
                "60",
                "Mali",
                "Bamako",
                "Bamako",
                "",
                "Bamako",
                "12.6500",
                "-8.0000",
                "1",
                "Maliweb",
                "Students marched against fees.",
                "0",
            ]
        ]
        path.write_bytes(_csv(header, rows, newline="\r\n").encode("utf-8"))
    elif shape == "mac-excel":  # Excel for Mac, "CSV (Macintosh)": Mac Roman, lines end in CR
        header, rows = current_layout("%m/%d/%Y")
        path.write_bytes(_csv(header, rows, newline="\r").encode("mac_roman"))
    elif shape == "blank-lines":  # a sheet with an empty row between blocks and below the data
        header, rows = current_layout()
        empty = "," * (len(header) - 1) + "\r\n"  # a row of empty cells, as spreadsheets save it
        first = _csv(header, rows[:3], newline="\r\n")
        rest = _csv(header, rows[3:], newline="\r\n").split("\r\n", 1)[1]
        text = first + "\r\n" + empty + rest + empty + "\r\n"
        path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    elif shape in ("r-bom-header", "r-bom-header-windows"):
        # R's read.csv of a file with a byte-order mark keeps the mark in the first name
        # (X.U.FEFF.event_id_cnty; on Windows ï..event_id_cnty), and write.csv writes it back.
        header, rows = current_layout()
        mark = "X.U.FEFF." if shape == "r-bom-header" else "ï.."
        text = _csv([mark + header[0], *header[1:]], rows, quote_all=True, missing="NA")
        path.write_bytes(text.encode("utf-8"))
    elif shape in ("pandas-zoned", "feather"):
        # pandas' to_parquet of dates localised to Berlin (midnight there, 22:00 or 23:00 UTC
        # the day before), with categories; "feather" is the same frame as Feather (Arrow IPC).
        frame = _typed()
        frame = frame.with_columns(
            pl.col("event_date")
            .cast(pl.Datetime("ns"))
            .dt.replace_time_zone("Europe/Berlin")
            .alias("event_date"),
            pl.col("country", "event_type").cast(pl.Categorical),
        )
        if shape == "feather":
            frame.write_ipc(path, compression="zstd")
        else:
            frame.write_parquet(path)
    elif shape == "r-factors":  # R's arrow::write_parquet: text columns as factors, dates too
        frame = _typed().with_columns(
            pl.col("event_date").cast(pl.String).cast(pl.Categorical),
            pl.col("inter1", "country").cast(pl.Categorical),
        )
        frame.write_parquet(path)
    else:
        raise ValueError(shape)
    return path


def _typed() -> pl.DataFrame:
    """The rows as a typed frame (dates, numbers), as a tool holding them in memory has them."""
    header, rows = current_layout()
    frame = pl.DataFrame(rows, schema={c: pl.String for c in header}, orient="row")
    return frame.with_columns(
        pl.col("event_date").str.to_date(),
        pl.col("latitude", "longitude").cast(pl.Float64),
        pl.col("year", "time_precision", "iso", "geo_precision", "fatalities", "timestamp").cast(
            pl.Int64
        ),
    )


FILES = {
    "export-tool": "export_tool_2021.csv",
    "excel": "excel_saved.csv",
    "r": "r_write_csv.csv",
    "upper": "upper_case_headers.tsv",
    "cp1252": "cp1252_windows.csv",
    "v7": "acled_v7_layout.csv",
}
DATA = Path(__file__).resolve().parents[1] / "data" / "shapes"


if __name__ == "__main__":
    for shape, name in FILES.items():
        print(write_shape(shape, DATA / name, "%-d-%b-%y" if shape == "excel" else "%Y-%m-%d"))
