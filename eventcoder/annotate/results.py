"""Label Studio results built from coded events: the inverse of the converter.

:func:`event_results` turns one row of the annotations table back into the results a coder's
annotation holds under the codebook's labeling config (an Event span region and its per-region
controls, conditional choices under the group that offers the value), so that converting them
with :mod:`eventcoder.annotate.convert` gives the row's field values back. The review project
shows coders' versions to an adjudicator this way; tests use it to build exports by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from eventcoder.annotate.config import (
    EVENT_LABEL,
    LABELS_NAME,
    TEXT_NAME,
    Conditional,
    Control,
    conditionals,
    control_field,
    labeling_config,
    parse_controls,
    slug,
)
from eventcoder.errors import InputError
from eventcoder.schema.codebook import Codebook

VALUE_KEYS = {"Choices": "choices", "TextArea": "text", "Number": "number", "DateTime": "datetime"}


def _value(value: Any, cb: Codebook, name: str) -> Any:
    """A field value as Label Studio holds it (``None`` for blank)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    f = cb.field(name)
    if isinstance(value, bool) or f.type == "boolean":
        return "true" if str(value).lower() in ("true", "1") else "false"
    if isinstance(value, (date, datetime)):
        return value.isoformat()[:10]
    return value


def _control_for(controls: list[Control], value: str, parent: str | None) -> Control:
    """The control that takes ``value``: for a conditional field, the group offering it."""
    if len(controls) == 1:
        return controls[0]
    offering = [c for c in controls if value in c.choices]
    if offering:
        return offering[0]
    # A value no group offers: put it under the parent's group, where the converter names it.
    by_parent = [c for c in controls if parent and c.name.endswith("__" + slug(parent))]
    return by_parent[0] if by_parent else controls[0]


def event_results(
    event: Mapping[str, Any],
    cb: Codebook,
    text: str,
    *,
    region: str,
    controls: Mapping[str, Control] | None = None,
    origin: str = "prediction",
) -> list[dict[str, Any]]:
    """Label Studio results (one Event region and its per-region fields) for one coded event.

    ``event`` is a row of the annotations table (``span_start``, ``span_end`` and codebook
    fields); ``text`` the article, from which the region's text is cut so that the converter's
    span check holds. Blank fields get no result. The inverse of the converter: converting the
    results gives back the event's field values. ``origin`` is what Label Studio records of who
    made the region: ``prediction`` for versions shown to a coder, ``manual`` for a coder's own.
    """
    controls = controls if controls is not None else parse_controls(labeling_config(cb))
    start, end = event.get("span_start"), event.get("span_end")
    if start is None or end is None:
        raise InputError(f"event {event.get('event_key')!r} has no evidence span to show")
    span = {"start": int(start), "end": int(end), "text": text[int(start) : int(end)]}

    def entry(name: str, kind: str, value: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": region,
            "from_name": name,
            "to_name": TEXT_NAME,
            "type": kind,
            "origin": origin,
            "value": {**span, **value},
        }

    by_field: dict[str, list[Control]] = {}
    for c in controls.values():
        f = control_field(c.name, cb)
        if f is not None and c.per_region:
            by_field.setdefault(f, []).append(c)
    cond = conditionals(cb)
    out = [entry(LABELS_NAME, "labels", {"labels": [EVENT_LABEL]})]
    for name in [f.name for f in cb.fields_by_origin("coded", "assisted") if f.name in by_field]:
        value = _value(event.get(name), cb, name)
        if value is None:
            continue
        control = _control_for(by_field[name], str(value), _parent_value(event, cond, name))
        if control.tag == "Choices":
            parts = [p.strip() for p in str(value).split(";")] if cb.field(name).multiple else None
            payload: Any = parts if parts else [str(value)]
        elif control.tag == "TextArea":
            payload = [str(value)]
        elif control.tag == "Number":
            payload = value
        else:
            payload = str(value)
        out.append(entry(control.name, control.tag.lower(), {VALUE_KEYS[control.tag]: payload}))
    return out


def _parent_value(
    event: Mapping[str, Any], cond: Mapping[str, Conditional], child: str
) -> str | None:
    """The value of a conditional field's parent (``event_type`` for ``sub_event_type``)."""
    c = cond.get(child)
    if c is None or event.get(c.parent) is None:
        return None
    return str(event[c.parent])
