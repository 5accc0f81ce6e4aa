"""Annotator documentation rendered from a codebook: Markdown coding instructions and tables."""

from __future__ import annotations

from eventcoder.schema.codebook import Codebook

_ORIGIN_WORDS = {
    "coded": "you code it",
    "assisted": "filled from the reference lists; code it when they are silent",
    "derived": "computed, do not code",
    "release": "assigned at publication",
}


def field_rows(cb: Codebook) -> list[dict[str, str]]:
    """One plain row per field: name, type, required, origin, level, vocabulary, description."""
    return [
        {
            "field": f.name,
            "type": f.type,
            "required": "yes" if f.required else "",
            "origin": f.origin,
            "level": f.level or "",
            "vocabulary": f.vocabulary or "",
            "description": f.description,
        }
        for f in cb.fields
    ]


def hierarchy_rows(cb: Codebook) -> list[dict[str, str]]:
    """One plain row per event category in hierarchy order, with its text attributes; [] if none."""
    if cb.hierarchy is None:
        return []
    terms = cb.hierarchy.terms
    attrs = sorted({k for t in terms for k, v in t.attributes.items() if isinstance(v, str)})
    return [
        {"#": str(i), cb.hierarchy.name: str(t.value)}
        | {a: str(t.attributes.get(a, "")) for a in attrs}
        for i, t in enumerate(terms, 1)
    ]


def _md_escape(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def codebook_markdown(cb: Codebook) -> str:
    """Coding instructions for annotators, in Markdown, generated from the codebook."""
    out: list[str] = [f"# Coding instructions: {cb.title}", ""]
    out.append(
        f"Codebook `{cb.name}` version {cb.version}"
        + (f", following {cb.meta['follows']}." if cb.meta.get("follows") else ".")
    )
    out += [
        "",
        "Code one event per day, location and pair of actors. An article that reports "
        "strikes on two villages holds two events.",
        "",
    ]
    out += _fields_section(cb)
    out += _categories_section(cb)
    out += _value_lists_section(cb)
    out += _rules_section(cb)
    return "\n".join(out).rstrip() + "\n"


def _fields_section(cb: Codebook) -> list[str]:
    out = ["## What you code", "", "| field | required | what it holds |", "|---|---|---|"]
    for f in cb.fields_by_origin("coded", "assisted"):
        how = _ORIGIN_WORDS[f.origin]
        out.append(
            f"| `{f.name}` | {'yes' if f.required else ''} | "
            f"{_md_escape(f.description)} *({how})* |"
        )
    derived = cb.fields_by_origin("derived", "release")
    if derived:
        out += [
            "",
            "Not coded by hand: "
            + ", ".join(f"`{f.name}` ({_ORIGIN_WORDS[f.origin]})" for f in derived)
            + ".",
        ]
    return out


def _categories_section(cb: Codebook) -> list[str]:
    hierarchy = cb.hierarchy
    if hierarchy is None:
        return []
    out = [
        "",
        "## Event categories",
        "",
        "Listed in hierarchy order: when one event combines several, code the first that applies.",
        "",
    ]
    group_attr = next(
        (
            k
            for t in hierarchy.terms
            for k in t.attributes
            if k in cb.field_names
            and (v := cb.vocabulary_of(k)) is not None
            and v.name != hierarchy.name
        ),
        None,
    )
    current = None
    for term in hierarchy.terms:
        group = term.attributes.get(group_attr) if group_attr else None
        if group != current:
            current = group
            vocab = cb.vocabulary_of(group_attr) if group_attr else None
            parent = vocab.term(group) if vocab else None
            out += ["", f"### {group}", ""]
            if parent is not None and parent.description:
                out += [parent.description, ""]
        extra = ", ".join(
            f"{k}: {v}"
            for k, v in term.attributes.items()
            if k != group_attr and isinstance(v, str)
        )
        out.append(f"- **{term.value}**: {term.description}" + (f" ({extra})" if extra else ""))
    return out


def _value_lists_section(cb: Codebook) -> list[str]:
    hierarchy = cb.hierarchy
    out = ["", "## Value lists", ""]
    for f in cb.fields:
        vocab = cb.vocabulary_of(f.name) if f.vocabulary else None
        if vocab is None or vocab is hierarchy or f.origin in ("derived", "release"):
            continue
        if hierarchy is not None and any(
            vocab.name == v.name
            for t in hierarchy.terms
            for k in t.attributes
            if k in cb.field_names and (v := cb.vocabulary_of(k)) is not None
        ):
            continue
        out += [f"### `{f.name}`", ""]
        for t in vocab.terms:
            code = f" (code {t.code})" if t.code is not None else ""
            desc = f": {t.description}" if t.description else ""
            out.append(f"- `{t.value}`{code}{desc}")
        out.append("")
    return out


def _rules_section(cb: Codebook) -> list[str]:
    out = [
        "## Rules your coding is checked against",
        "",
        "An **error** rejects the event until it is fixed; a **warning** is recorded for review.",
        "",
        "| rule | severity | what it says | source |",
        "|---|---|---|---|",
    ]
    for r in cb.rules:
        out.append(
            f"| `{r.id}` | {r.severity} | {_md_escape(r.message)} | {_md_escape(r.source)} |"
        )
    refs = cb.references
    if refs.actors is not None or refs.gazetteer is not None:
        out += ["", "## Reference lists", ""]
        if refs.actors is not None:
            out.append(
                f"- Actor list: {refs.actors.height} entries. Use the listed name; its "
                "type on the event date is filled in for you."
            )
        if refs.gazetteer is not None:
            out.append(
                f"- Gazetteer: {refs.gazetteer.height} places. Use the listed name (or an "
                "alternate name); country, admin levels and coordinates are filled in."
            )
    return out
