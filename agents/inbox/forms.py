"""Edit-then-approve as a form: the fields come from the tool's argument schema (JSON Schema
from its Pydantic model), and what a person types is read back into typed arguments, with
an error naming the field when a value cannot be what the schema asks for."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from compound.platform.errors import ValidationFailed

Widget = Literal["text", "textarea", "integer", "number", "checkbox", "select", "lines", "json"]

FIELD_PREFIX = "arg."
"""Form names are `arg.<field>`: never confused with the decision's own fields."""
LONG_TEXT = 500
"""Strings whose maxLength is over this get a textarea."""
VALUE_MAX = 100_000


@dataclass(frozen=True)
class ArgumentField:
    name: str
    label: str
    widget: Widget
    value: str
    """What the input shows: the proposal's value, or what the person typed."""
    required: bool
    nullable: bool
    help: str | None
    choices: tuple[str, ...] = ()
    max_length: int | None = None

    @property
    def form_name(self) -> str:
        return FIELD_PREFIX + self.name


def _resolved(schema: Mapping[str, Any], definitions: Mapping[str, Any]) -> dict[str, Any]:
    """The property's schema with a $ref followed and `X | None` unwrapped."""
    node = dict(schema)
    if "$ref" in node:
        node = {**definitions.get(str(node["$ref"]).rsplit("/", 1)[-1], {}), **node}
    variants = node.get("anyOf")
    if isinstance(variants, list):
        others = [variant for variant in variants if variant.get("type") != "null"]
        if len(others) == 1:
            inner = _resolved(others[0], definitions)
            node = {**inner, **{k: v for k, v in node.items() if k != "anyOf"}}
            node["nullable"] = len(others) < len(variants)
    return node


def _widget(node: Mapping[str, Any]) -> Widget:
    if isinstance(node.get("enum"), list):
        return "select"
    kind = node.get("type")
    if kind == "boolean":
        return "checkbox"
    if kind == "integer":
        return "integer"
    if kind == "number":
        return "number"
    if kind == "string":
        # Only a string allowed to be long is long text: an unbounded one is a name, a URL...
        return "textarea" if (node.get("maxLength") or 0) > LONG_TEXT else "text"
    items = node.get("items")
    if kind == "array" and isinstance(items, dict) and items.get("format") == "email":
        # Email addresses, one a line: no address holds a line break, so nothing is lost.
        return "lines"
    return "json"


def _shown(widget: Widget, value: Any) -> str:
    if value is None:
        return ""
    if widget == "json":
        return json.dumps(value, indent=2, ensure_ascii=False)
    if widget == "checkbox":
        return "on" if value else ""
    if widget == "lines" and isinstance(value, list):
        return "\n".join(str(line) for line in value)
    return str(value)


@functools.cache
def _schema(model: type[BaseModel]) -> dict[str, Any]:
    # Built once per tool: the Inbox draws a form for every open approval on each render.
    return model.model_json_schema()


def argument_fields(
    model: type[BaseModel],
    arguments: Mapping[str, Any],
    typed: Mapping[str, str] | None = None,
) -> list[ArgumentField]:
    """One field per argument, filled with `typed` (a refused form) or else the proposal."""
    schema = _schema(model)
    definitions = schema.get("$defs", {})
    required = set(schema.get("required", []))
    fields = []
    for name, raw in schema.get("properties", {}).items():
        node = _resolved(raw, definitions)
        widget = _widget(node)
        if typed is not None and (FIELD_PREFIX + name) in typed:
            value = typed[FIELD_PREFIX + name]
        elif typed is not None and widget == "checkbox":
            value = ""  # an unticked box is absent from a submitted form
        else:
            value = _shown(widget, arguments.get(name, node.get("default")))
        fields.append(
            ArgumentField(
                name=name,
                label=str(node.get("title") or name.replace("_", " ").capitalize()),
                widget=widget,
                value=value,
                required=name in required,
                nullable=bool(node.get("nullable")),
                help=node.get("description"),
                choices=tuple(str(choice) for choice in node.get("enum", [])),
                max_length=node.get("maxLength"),
            )
        )
    return fields


def _parsed(field: ArgumentField, text: str) -> Any:
    where = f"arguments.{field.name}"
    if field.widget == "checkbox":
        return text != ""
    if field.widget == "lines":
        # Each line one value; a line holding two addresses is left for the schema to refuse.
        return [line.strip() for line in text.splitlines() if line.strip()]
    if not text.strip():
        if field.nullable:
            return None
        if field.widget not in ("text", "textarea"):
            raise ValidationFailed(f"{field.name}: a value is required", field=where)
    if field.widget == "integer":
        try:
            return int(text.strip())
        except ValueError:
            raise ValidationFailed(f"{field.name}: not a whole number", field=where) from None
    if field.widget == "number":
        try:
            return float(text.strip())
        except ValueError:
            raise ValidationFailed(f"{field.name}: not a number", field=where) from None
    if field.widget == "json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise ValidationFailed(
                f"{field.name}: not valid JSON ({error.msg} at line {error.lineno})", field=where
            ) from None
    return text


def arguments_from_form(model: type[BaseModel], form: Mapping[str, str]) -> dict[str, Any]:
    """The typed arguments of a submitted edit form; the tool's own schema checks them after."""
    fields = argument_fields(model, {}, typed=form)
    arguments = {}
    for field in fields:
        text = form.get(field.form_name, "")
        if len(text) > VALUE_MAX:
            raise ValidationFailed(
                f"{field.name}: at most {VALUE_MAX} characters", field=f"arguments.{field.name}"
            )
        if field.form_name not in form and field.widget != "checkbox":
            continue  # left out: the schema's default, or its 'required' error
        arguments[field.name] = _parsed(field, text)
    return arguments
