"""The Frictionless Data Package descriptor of a release: one Table Schema per Parquet table.

Field types and descriptions come from the codebook (``events``, ``annotations``) or from the
Arrow schema of the file (``rejects``, ``decisions``, ...). Vocabulary fields carry an ``enum``
constraint, required fields ``required``, and the events table its primary key. A partitioned
events table is one resource per Parquet file, with the hive partition values as a
``partition`` property (the files do not hold those columns, as hive layout has it).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as arrow
import pyarrow.parquet as pq

from eventcoder.schema.codebook import Codebook
from eventcoder.schema.tables import PROVENANCE

PARQUET_MEDIATYPE = "application/vnd.apache.parquet"
LICENSES = {
    "CC-BY-4.0": (
        "Creative Commons Attribution 4.0",
        "https://creativecommons.org/licenses/by/4.0/",
    ),
    "CC-BY-SA-4.0": (
        "Creative Commons Attribution Share-Alike 4.0",
        "https://creativecommons.org/licenses/by-sa/4.0/",
    ),
    "CC0-1.0": ("CC0 1.0", "https://creativecommons.org/publicdomain/zero/1.0/"),
    "ODC-BY-1.0": (
        "Open Data Commons Attribution License 1.0",
        "https://opendatacommons.org/licenses/by/1-0/",
    ),
}
CODEBOOK_TABLES = ("events", "annotations")


def frictionless_type(dtype: arrow.DataType) -> str:
    """The Table Schema type of an Arrow type."""
    if arrow.types.is_boolean(dtype):
        return "boolean"
    if arrow.types.is_integer(dtype):
        return "integer"
    if arrow.types.is_floating(dtype) or arrow.types.is_decimal(dtype):
        return "number"
    if arrow.types.is_date(dtype):
        return "date"
    if arrow.types.is_timestamp(dtype):
        return "datetime"
    if arrow.types.is_string(dtype) or arrow.types.is_large_string(dtype):
        return "string"
    if arrow.types.is_list(dtype) or arrow.types.is_large_list(dtype):
        return "array"
    return "any"


def table_schema(
    schema: arrow.Schema, cb: Codebook | None, table: str | None, *, primary_key: str | None = None
) -> dict[str, Any]:
    """A Table Schema for a Parquet file's Arrow schema, described from the codebook."""
    described = {f.name: f for f in cb.fields} if cb is not None else {}
    provenance = {name: (req, d) for name, _, req, d in PROVENANCE}
    fields = []
    for col in schema:
        entry: dict[str, Any] = {"name": col.name, "type": frictionless_type(col.type)}
        if entry["type"] == "integer" and col.nullable:
            # Readers that go through pandas (frictionless does) see a null integer as NaN.
            entry["missingValues"] = ["", "nan"]
        f = described.get(col.name) if table in CODEBOOK_TABLES else None
        if f is not None:
            entry["description"] = f.description
            constraints: dict[str, Any] = {}
            if f.required and table == "events":
                constraints["required"] = True
            vocab = cb.vocabulary_of(f.name) if cb is not None else None
            if vocab is not None and not f.multiple:
                constraints["enum"] = list(vocab.values)
            if constraints:
                entry["constraints"] = constraints
        elif table == "annotations" and col.name in provenance:
            entry["description"] = provenance[col.name][1]
        elif col.metadata and b"description" in col.metadata:
            entry["description"] = col.metadata[b"description"].decode()
        fields.append(entry)
    out: dict[str, Any] = {"fields": fields}
    if primary_key and primary_key in schema.names:
        out["primaryKey"] = [primary_key]
    return out


def resource(
    folder: Path,
    rel: str,
    name: str,
    cb: Codebook | None,
    table: str | None,
    digest: str,
    *,
    description: str = "",
    primary_key: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The resource entry of one Parquet file of the release (``rel`` is its relative path)."""
    path = folder / rel
    schema = pq.read_schema(path)
    out: dict[str, Any] = {
        "name": name,
        "path": rel,
        "format": "parquet",
        "mediatype": PARQUET_MEDIATYPE,
        # Not "bytes"/"hash": frictionless cannot count a Parquet file's bytes and reports
        # them as errors. SHA256SUMS holds the checksums; this is for readers of the JSON.
        "sha256": digest,
    }
    if description:
        out["description"] = description
    out["schema"] = table_schema(schema, cb, table, primary_key=primary_key)
    if extra:
        out.update(extra)
    return out


def package_descriptor(
    *,
    name: str,
    version: str,
    title: str,
    description: str,
    license: str,
    created: str,
    resources: list[dict[str, Any]],
    codebook: Codebook,
    homepage: str | None = None,
) -> dict[str, Any]:
    """The whole ``datapackage.json`` as plain data."""
    lic_title, lic_path = LICENSES.get(license, (license, None))
    lic: dict[str, Any] = {"name": license, "title": lic_title}
    if lic_path:
        lic["path"] = lic_path
    out: dict[str, Any] = {
        "name": package_name(name),
        "title": title,
        "description": description,
        "version": version,
        "created": created,
        "licenses": [lic],
        "keywords": ["conflict events", "political violence", "protest", codebook.name],
        "codebook": {"name": codebook.name, "version": codebook.version, "path": "codebook.yaml"},
        "resources": resources,
    }
    if homepage:
        out["homepage"] = homepage
    return out


def package_name(name: str) -> str:
    """``name`` as a Data Package name: lower case letters, digits, ``-``, ``_`` and ``.``."""
    import re

    return re.sub(r"[^a-z0-9._-]+", "-", name.lower()).strip("-") or "dataset"
