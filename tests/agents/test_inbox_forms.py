"""Edit-then-approve forms generated from a tool's argument schema: one field per argument,
the right input for its type, and typed text read back with errors that name the field."""

from __future__ import annotations

import uuid
from enum import StrEnum

import pytest
from pydantic import BaseModel, Field
from pydantic import ValidationError as PydanticValidationError

from compound.agents.inbox.forms import argument_fields, arguments_from_form
from compound.agents.replies import SendReply
from compound.agents.runtime.tools import APPROVING
from compound.modules.leads.outreach import SendOutreach
from compound.platform.errors import ValidationFailed


class Tone(StrEnum):
    WARM = "warm"
    FORMAL = "formal"


class Everything(BaseModel):
    count: int = Field(ge=0)
    ratio: float = 0.5
    urgent: bool = False
    tone: Tone = Tone.WARM
    note: str | None = Field(default=None, max_length=50)
    """Said to the recipient in passing."""
    tags: list[str] = []


def test_each_argument_gets_the_input_its_type_needs() -> None:
    fields = {
        field.name: field for field in argument_fields(Everything, {"count": 3, "tags": ["a"]})
    }
    assert {name: field.widget for name, field in fields.items()} == {
        "count": "integer",
        "ratio": "number",
        "urgent": "checkbox",
        "tone": "select",
        "note": "text",
        "tags": "json",
    }
    assert fields["count"].required and fields["count"].value == "3"
    assert fields["ratio"].value == "0.5"  # the schema's default when the proposal leaves it out
    assert fields["tone"].choices == ("warm", "formal")
    assert fields["note"].nullable and fields["note"].max_length == 50
    assert fields["tags"].value == '[\n  "a"\n]'
    assert fields["count"].form_name == "arg.count"


def test_outreach_gets_a_textarea_for_the_body_and_text_inputs_for_the_rest() -> None:
    lead = uuid.uuid4()
    fields = argument_fields(
        SendOutreach, {"lead_id": str(lead), "to": "", "subject": "Hi", "text": "Long body"}
    )
    widgets = {field.name: (field.widget, field.value) for field in fields}
    assert widgets == {
        "lead_id": ("text", str(lead)),
        "to": ("text", ""),
        "subject": ("text", "Hi"),
        "text": ("textarea", "Long body"),
    }


def test_what_a_person_typed_is_shown_again_over_the_proposal() -> None:
    typed = {"arg.count": "three", "arg.note": "<script>x</script>"}
    fields = {field.name: field for field in argument_fields(Everything, {"count": 3}, typed)}
    assert fields["count"].value == "three"
    assert fields["note"].value == "<script>x</script>"  # escaped by the template, kept here
    assert fields["urgent"].value == ""  # absent from a submitted form means unticked


def test_typed_text_becomes_typed_arguments() -> None:
    arguments = arguments_from_form(
        Everything,
        {
            "arg.count": " 7 ",
            "arg.ratio": "0.25",
            "arg.urgent": "on",
            "arg.tone": "formal",
            "arg.note": "",
            "arg.tags": '["x", "y"]',
        },
    )
    assert arguments == {
        "count": 7,
        "ratio": 0.25,
        "urgent": True,
        "tone": "formal",
        "note": None,
        "tags": ["x", "y"],
    }
    assert arguments_from_form(Everything, {"arg.count": "1"})["urgent"] is False
    assert Everything.model_validate(arguments).tone is Tone.FORMAL


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"arg.count": "seven"}, "arguments.count", "count: not a whole number"),
        ({"arg.count": ""}, "arguments.count", "count: a value is required"),
        ({"arg.count": "1", "arg.ratio": "half"}, "arguments.ratio", "ratio: not a number"),
        ({"arg.count": "1", "arg.tags": "[1,"}, "arguments.tags", "tags: not valid JSON"),
        ({"arg.count": "1", "arg.note": "x" * 100_001}, "arguments.note", "at most 100000"),
    ],
)
def test_text_that_cannot_be_its_type_names_the_field(
    form: dict[str, str], field: str, message: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        arguments_from_form(Everything, form)
    assert refused.value.field == field
    assert message in refused.value.message


def test_unknown_form_fields_are_never_passed_on() -> None:
    arguments = arguments_from_form(Everything, {"arg.count": "1", "arg.__class__": "evil"})
    assert "__class__" not in arguments


def test_a_replys_recipients_are_one_address_a_line() -> None:
    message = uuid.uuid4()
    proposal = {
        "message_id": str(message),
        "recipients": ["ana@example.com", "team@example.com"],
        "text": "Thanks",
        "purpose": "answer",
    }
    fields = {field.name: field for field in argument_fields(SendReply, proposal)}
    assert list(fields) == ["message_id", "recipients", "text", "purpose"]
    assert fields["recipients"].widget == "lines"
    assert fields["recipients"].value == "ana@example.com\nteam@example.com"
    assert (
        fields["recipients"].help is not None and "one address a line" in fields["recipients"].help
    )
    typed = {
        "arg.message_id": str(message),
        "arg.recipients": " ana@example.com \r\n\r\nbob@example.com\n",
        "arg.text": "Thanks",
        "arg.purpose": "answer",
    }
    arguments = arguments_from_form(SendReply, typed)
    assert arguments["recipients"] == ["ana@example.com", "bob@example.com"]
    assert SendReply.model_validate(arguments, context=APPROVING).recipients == [
        "ana@example.com",
        "bob@example.com",
    ]
    assert arguments_from_form(SendReply, {**typed, "arg.recipients": ""})["recipients"] == []


def test_an_injected_line_typed_into_the_recipients_is_its_own_line_and_refused() -> None:
    typed = {
        "arg.message_id": str(uuid.uuid4()),
        "arg.recipients": "v@x.example\r\nBcc: a@evil.example",
        "arg.text": "Thanks",
    }
    arguments = arguments_from_form(SendReply, typed)
    assert arguments["recipients"] == ["v@x.example", "Bcc: a@evil.example"]
    with pytest.raises(PydanticValidationError, match=r"'Bcc: a@evil\.example' is not a bare"):
        SendReply.model_validate(arguments, context=APPROVING)
