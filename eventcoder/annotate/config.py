"""The Label Studio labeling config (XML), rendered from a codebook and checked by eventcoder.

Layout (one project, several events per article):

- ``<Header value="$title"/>`` and ``<Text name="text" value="$text"/>``: the article, shown as
  text (the Text tag never renders HTML or runs scripts; HyperText would).
- One ``<Labels name="label">`` control over the text with the value ``Event`` (a region over the
  sentence(s) that report one event) and the mention labels ``Actor``, ``Place``, ``Date``,
  ``Fatalities`` (optional help for the coder; they carry no fields).
- ``<View visibleWhen="region-selected" whenLabelValue="Event">`` holding one per-region control
  (``perRegion="true"``) for every codebook field a coder fills (origin ``coded`` or
  ``assisted``); derived and release fields get none. The control's name is the field's name,
  so a result's ``from_name`` is the field it fills. Field types map to tags:

  ==================================  ======================================================
  vocabulary field                    ``Choices`` (single-radio), one ``Choice`` per term
  date                                ``DateTime only="date"``
  integer / number                    ``Number`` (``min``/``max`` from the codebook's range rules)
  boolean                             ``Choices`` with ``true`` / ``false``
  string                              ``TextArea`` (one submission, editable)
  ==================================  ======================================================

- Conditional sub-categories. A codebook ``lookup`` rule that ties a coded *child* field to a
  coded *parent* field through a term attribute (ACLED: ``sub_event_type`` ->
  ``event_type``) turns the child into one ``Choices`` per parent value, named
  ``<child>__<slug of parent value>`` (``sub_event_type__battles``,
  ``sub_event_type__explosions_remote_violence``) and shown only when that parent value is
  chosen (``visibleWhen="choice-selected"``). :func:`control_field` maps such a name back to the
  field. Nothing here names an ACLED field: the groups come from the rule.

Required fields are marked in each control's header, not with Label Studio's ``required``
attribute: eventcoder's converter enforces them (rule ``required-field``) on every export, and a
per-region ``required`` control could also demand values for mention regions.

The server's own config check is lax (it accepts unknown tags and configs with no controls), so
:func:`check_config` checks the generated XML against the codebook and :func:`labeling_config`
refuses to return a config with problems.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from eventcoder.schema.codebook import CONTROL_SEPARATOR, Codebook, Field

TEXT_NAME = "text"
LABELS_NAME = "label"
EVENT_LABEL = "Event"
MENTION_LABELS = ("Actor", "Place", "Date", "Fatalities")
SEPARATOR = CONTROL_SEPARATOR  # between a conditional control's field name and its parent's value
CONTROL_TAGS = ("Choices", "TextArea", "Number", "DateTime", "Labels", "Rating", "Taxonomy")


@dataclass(frozen=True)
class Conditional:
    """A child field whose choices depend on a parent field (from a codebook lookup rule)."""

    child: str
    parent: str
    groups: tuple[tuple[str, tuple[str, ...]], ...]  # parent value -> child values, codebook order


@dataclass(frozen=True)
class Control:
    """One control tag of a labeling config: its name, tag, the field it fills and its choices."""

    name: str
    tag: str
    field: str | None
    choices: tuple[str, ...] = ()
    per_region: bool = False


def slug(value: object) -> str:
    """A control-name-safe slug of a value: lower case, runs of other characters as ``_``."""
    return re.sub(r"[^a-z0-9]+", "_", str(value).lower()).strip("_")


def conditionals(cb: Codebook) -> dict[str, Conditional]:
    """Child field -> its conditional grouping, from the codebook's coded-to-coded lookup rules."""
    out: dict[str, Conditional] = {}
    coded = {f.name for f in cb.fields_by_origin("coded", "assisted")}
    for rule in cb.rules:
        p = rule.params
        if rule.kind != "lookup" or p.get("derive"):
            continue
        parent, child = p.get("field"), p.get("key")
        if parent not in coded or child not in coded or child in out:
            continue
        if cb.field(child).vocabulary != p.get("vocabulary"):
            continue
        mapping = cb.vocabularies[p["vocabulary"]].attribute(p["attribute"])
        parent_vocab = cb.vocabulary_of(parent)
        order = [str(v) for v in parent_vocab.values] if parent_vocab else []
        order += [str(v) for v in dict.fromkeys(mapping.values()) if str(v) not in order]
        groups = tuple(
            (pv, tuple(str(c) for c, par in mapping.items() if str(par) == pv)) for pv in order
        )
        out[child] = Conditional(child, parent, tuple(g for g in groups if g[1]))
    return out


def control_field(name: str, cb: Codebook) -> str | None:
    """The field a control name fills (``sub_event_type__battles`` -> ``sub_event_type``)."""
    if name in cb.field_names:
        return name
    head, sep, _ = name.partition(SEPARATOR)
    return head if sep and head in cb.field_names else None


def _range(cb: Codebook, field: str) -> dict[str, str]:
    """``min``/``max`` attributes for a Number from the codebook's numeric range rules."""
    out: dict[str, str] = {}
    for rule in cb.rules:
        if rule.kind == "range" and rule.params.get("field") == field:
            for key in ("min", "max"):
                value = rule.params.get(key)
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    out[key] = str(value)
    return out


def _reference_hints(cb: Codebook) -> dict[str, str]:
    """Placeholders for fields checked against the actor list or the gazetteer."""
    hints: dict[str, str] = {}
    for rule in cb.rules:
        if rule.kind in ("actor_known", "actor_type_listed"):
            for pair in rule.params.get("actors", []):
                hints[str(pair[0])] = "name as in the actor list"
        elif rule.kind in ("place_known", "coordinates_near_place"):
            hints[str(rule.params["field"])] = "place name as in the gazetteer"
    return hints


def _header(parent: ET.Element, f: Field) -> None:
    mark = " (required)" if f.required and f.origin == "coded" else " (optional)"
    ET.SubElement(parent, "Header", value=f"{f.name}{mark}", size="6")


def _choices(
    parent: ET.Element, name: str, values: list[str], hints: list[str] | None = None, **attrs: str
) -> None:
    el = ET.SubElement(
        parent,
        "Choices",
        {
            "name": name,
            "toName": TEXT_NAME,
            "perRegion": "true",
            "choice": "single-radio",
            "showInline": "false",
        }
        | attrs,
    )
    for i, value in enumerate(values):
        hint = {"hint": hints[i]} if hints and hints[i] else {}
        ET.SubElement(el, "Choice", {"value": value} | hint)


def _control(
    view: ET.Element, f: Field, cb: Codebook, cond: dict[str, Conditional], hints: dict[str, str]
) -> None:
    _header(view, f)
    if f.name in cond:
        c = cond[f.name]
        for parent_value, values in c.groups:
            _choices(
                view,
                f"{f.name}{SEPARATOR}{slug(parent_value)}",
                list(values),
                visibleWhen="choice-selected",
                whenTagName=c.parent,
                whenChoiceValue=parent_value,
            )
        return
    vocab = cb.vocabulary_of(f.name)
    if vocab is not None:
        _choices(view, f.name, [str(v) for v in vocab.values], [t.description for t in vocab.terms])
    elif f.type == "boolean":
        _choices(view, f.name, ["true", "false"])
    elif f.type == "date":
        ET.SubElement(
            view, "DateTime", name=f.name, toName=TEXT_NAME, perRegion="true", only="date"
        )
    elif f.type in ("integer", "number"):
        step = {"step": "1"} if f.type == "integer" else {"step": "any"}
        ET.SubElement(
            view,
            "Number",
            {"name": f.name, "toName": TEXT_NAME, "perRegion": "true"} | step | _range(cb, f.name),
        )
    else:
        placeholder = hints.get(f.name, "")
        if f.multiple:
            several = 'several: separate with "; "'
            placeholder = f"{placeholder}; {several}" if placeholder else several
        ET.SubElement(
            view,
            "TextArea",
            {
                "name": f.name,
                "toName": TEXT_NAME,
                "perRegion": "true",
                "editable": "true",
                "maxSubmissions": "1",
                "rows": "3" if f.name == cb.settings.get("evidence_field") else "1",
            }
            | ({"placeholder": placeholder} if placeholder else {}),
        )


def labeling_config(cb: Codebook) -> str:
    """The Label Studio labeling config (XML text) for coding several events per article."""
    root = ET.Element("View")
    ET.SubElement(root, "Header", value="$title")
    labels = ET.SubElement(root, "Labels", name=LABELS_NAME, toName=TEXT_NAME)
    ET.SubElement(labels, "Label", value=EVENT_LABEL, background="#d62728")
    for value, color in zip(
        MENTION_LABELS, ("#1f77b4", "#2ca02c", "#9467bd", "#7f7f7f"), strict=True
    ):
        ET.SubElement(labels, "Label", value=value, background=color)
    ET.SubElement(root, "Text", name=TEXT_NAME, value=f"${TEXT_NAME}", granularity="word")
    view = ET.SubElement(root, "View", visibleWhen="region-selected", whenLabelValue=EVENT_LABEL)
    cond = conditionals(cb)
    hints = _reference_hints(cb)
    for f in cb.fields_by_origin("coded", "assisted"):
        _control(view, f, cb, cond, hints)
    ET.indent(root, space="  ")
    xml = ET.tostring(root, encoding="unicode")
    problems = check_config(xml, cb)
    assert not problems, problems  # a generated config that fails its own check is a bug here
    return xml


def parse_controls(xml: str) -> dict[str, Control]:
    """Every named control of a labeling config, by name (ET.ParseError when not XML)."""
    root = ET.fromstring(xml)
    out: dict[str, Control] = {}
    for el in root.iter():
        if el.tag not in CONTROL_TAGS or "name" not in el.attrib:
            continue
        name = el.attrib["name"]
        choices = tuple(c.attrib.get("value", "") for c in el if c.tag in ("Choice", "Label"))
        head, sep, _ = name.partition(SEPARATOR)
        out[name] = Control(
            name, el.tag, head if sep else name, choices, el.attrib.get("perRegion") == "true"
        )
    return out


def check_config(xml: str, cb: Codebook) -> list[str]:
    """Problems with a labeling config for this codebook (empty list: none).

    Checks what the server does not: well-formed XML, unique names, every ``toName`` and
    ``whenTagName`` names an existing tag, every coded field has a control, every Choice value is
    in the field's vocabulary, and the Event label exists.
    """
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as err:
        return [f"not well-formed XML: {err}"]
    problems: list[str] = []
    names: dict[str, int] = {}
    for el in root.iter():
        if "name" in el.attrib:
            names[el.attrib["name"]] = names.get(el.attrib["name"], 0) + 1
    problems += [f"name {n!r} is used {k} times" for n, k in names.items() if k > 1]
    for el in root.iter():
        for attr in ("toName", "whenTagName"):
            target = el.attrib.get(attr)
            if target is not None and target not in names:
                problems.append(
                    f"{el.tag} {el.attrib.get('name', '')!r}: {attr}={target!r} names no tag"
                )
    controls = parse_controls(xml)
    labels = controls.get(LABELS_NAME)
    if labels is None or EVENT_LABEL not in labels.choices:
        problems.append(f"no Labels control {LABELS_NAME!r} with the label {EVENT_LABEL!r}")
    filled = {control_field(n, cb) for n in controls}
    for f in cb.fields_by_origin("coded"):
        if f.name not in filled:
            problems.append(f"coded field {f.name!r} has no control")
    for c in controls.values():
        field = control_field(c.name, cb)
        if c.tag != "Choices" or field is None:
            continue
        f = cb.field(field)
        vocab = cb.vocabulary_of(field)
        allowed = (
            {str(v) for v in vocab.values}
            if vocab is not None
            else {"true", "false"}
            if f.type == "boolean"
            else set()
        )
        for value in c.choices:
            if value not in allowed:
                problems.append(f"Choices {c.name!r}: {value!r} is not a value of {field}")
        if f.origin in ("derived", "release"):
            problems.append(f"field {field!r} is {f.origin}, yet has control {c.name!r}")
    return problems


def coder_layout_markdown(cb: Codebook) -> str:
    """A Markdown section telling coders how the Label Studio screen works, for the instructions."""
    cond = conditionals(cb)
    coded = cb.fields_by_origin("coded")
    assisted = cb.fields_by_origin("assisted")
    lines = [
        "## Coding in Label Studio",
        "",
        "Each article is one task. You code **every event it reports**: one event per day, "
        "location and pair of actors, so strikes on two villages are two events.",
        "",
        f"1. Choose the label **{EVENT_LABEL}** and select the sentence(s) that report one event. "
        "That region is the event.",
        "2. Click the region: the event's fields appear below the text. Fill them for this event "
        "only. Fields marked *(required)* must be filled.",
        "3. Repeat for each further event in the same article: one region per event, each with "
        "its own fields. Selecting a region shows its fields again.",
        f"4. Optionally mark mentions with **{'**, **'.join(MENTION_LABELS)}**. They help you "
        "and reviewers; they carry no fields.",
        "5. Submit. If the article reports no event you can code, submit it with no region; "
        "if you cannot code it at all, press **Skip**.",
        "",
    ]
    for c in cond.values():
        lines.append(
            f"Choose `{c.parent}` first: the list of `{c.child}` values for that "
            f"`{c.parent}` appears under it. Only one `{c.child}` list is shown at a time."
        )
        lines.append("")
    if coded:
        lines.append(
            "Fields you fill for each event: " + ", ".join(f"`{f.name}`" for f in coded) + "."
        )
    if assisted:
        lines.append(
            "Fields filled from the reference lists, which you may fill where the lists "
            "are silent: " + ", ".join(f"`{f.name}`" for f in assisted) + "."
        )
    hints = _reference_hints(cb)
    if hints:
        lines.append(
            "Type names as the reference lists spell them ("
            + ", ".join(f"`{k}`: {v}" for k, v in hints.items())
            + "). Values are checked after export."
        )
    lines.append("Several values in one text box are separated by `; `.")
    return "\n".join(lines).rstrip() + "\n"
