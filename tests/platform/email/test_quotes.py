"""Splitting replies: the new text agents read, the quoted history and the signature, across
the mail clients and languages customers write in."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compound.platform.email.html_text import html_to_text
from compound.platform.email.quotes import ReplyParts, split_reply

QUOTED_ASK = "> Could we see a demo next week?\n>\n> Ana\n"


@pytest.mark.parametrize(
    "attribution",
    [
        # Gmail
        "On Tue, Mar 5, 2024 at 9:14 AM Ana Lima <ana.lima@northwind-robotics.example> wrote:",
        # Gmail, wrapped by the sender's client
        "On Tue, Mar 5, 2024 at 9:14 AM Ana Lima <\nana.lima@northwind-robotics.example> wrote:",
        # Apple Mail
        "On 5 Mar 2024, at 09:14, Ana Lima <ana.lima@northwind-robotics.example> wrote:",
        # Thunderbird
        "On 05.03.24 09:14, Ana Lima wrote:",
        # German Gmail and Thunderbird
        "Am Di., 5. März 2024 um 09:14 Uhr schrieb Ana Lima <ana.lima@northwind-robotics.example>:",
        "Am 05.03.2024 um 09:14 schrieb Ana Lima:",
        # French
        "Le mar. 5 mars 2024 à 09:14, Ana Lima <ana.lima@northwind-robotics.example> a écrit :",
        # Spanish
        "El mar, 5 mar 2024 a las 9:14, Ana Lima (<ana.lima@northwind-robotics.example>) escribió:",
        # Portuguese
        "Em ter., 5 de mar. de 2024 às 09:14, Ana Lima <ana.lima@northwind-robotics.example> escreveu:",
    ],
)
def test_a_top_posted_reply_is_split_at_the_attribution_line(attribution: str) -> None:
    text = f"Tuesday at 10 works for us.\n\n{attribution}\n\n{QUOTED_ASK}"

    parts = split_reply(text)

    assert parts.new_text == "Tuesday at 10 works for us."
    assert parts.quoted.startswith(attribution.split("\n")[0])
    assert parts.quoted.endswith("> Ana")
    assert parts.signature == ""


def test_outlook_header_block_starts_the_quoted_history() -> None:
    text = (
        "Yes, twelve units.\n\n"
        "________________________________\n"
        "From: Ana Lima <ana.lima@northwind-robotics.example>\n"
        "Sent: Tuesday, March 5, 2024 09:14\n"
        "To: Bo Berg <bo@acme.example>\n"
        "Subject: Offer\n\n"
        "How many units do you need?\n"
    )

    parts = split_reply(text)

    assert parts.new_text == "Yes, twelve units."
    assert parts.quoted.startswith("_____")
    assert parts.quoted.endswith("How many units do you need?")


def test_german_outlook_header_block_is_quoted_history() -> None:
    text = (
        "Passt.\n\nVon: Ana Lima <ana@x.example>\nGesendet: Dienstag, 5. März 2024 09:14\n"
        "An: Bo Berg\nBetreff: Termin\n\nPasst Dienstag?\n"
    )

    parts = split_reply(text)

    assert (parts.new_text, parts.quoted.splitlines()[0]) == (
        "Passt.",
        "Von: Ana Lima <ana@x.example>",
    )


def test_original_message_separator_starts_the_quoted_history() -> None:
    text = "Agreed.\n\n-----Original Message-----\nFrom: Ana\nSent: Tue\nTo: Bo\n\nHow many?\n"

    parts = split_reply(text)

    assert parts.new_text == "Agreed."
    assert parts.quoted.startswith("-----Original Message-----")


def test_quoted_lines_without_attribution_are_history() -> None:
    parts = split_reply("Sure!\n\n> Could we meet?\n> Ana\n")

    assert (parts.new_text, parts.quoted) == ("Sure!", "> Could we meet?\n> Ana")


def test_inline_answers_between_quotes_are_the_new_text() -> None:
    text = (
        "On Tue, Mar 5, 2024 at 9:14 AM Ana Lima <ana@x.example> wrote:\n"
        "> Can you do Tuesday?\n"
        "Yes, at 3pm.\n\n"
        "> What budget do you have?\n"
        "About 20k.\n"
    )

    parts = split_reply(text)

    assert parts.new_text == "Yes, at 3pm.\n\nAbout 20k."
    assert "> Can you do Tuesday?" in parts.quoted
    assert "> What budget do you have?" in parts.quoted
    assert parts.quoted.startswith("On Tue, Mar 5")


def test_a_bottom_posted_answer_is_the_new_text() -> None:
    parts = split_reply("> Could we meet Tuesday?\n\nTuesday works.\n")

    assert (parts.new_text, parts.quoted) == ("Tuesday works.", "> Could we meet Tuesday?")


def test_signature_after_the_standard_delimiter_is_separated() -> None:
    parts = split_reply("Please send the contract.\n\n-- \nAna Lima\nNorthwind Robotics\n")

    assert parts.new_text == "Please send the contract."
    assert parts.signature == "Ana Lima\nNorthwind Robotics"


def test_short_block_after_a_sign_off_is_the_signature() -> None:
    text = (
        "Please send the contract.\n\nBest regards,\nAna Lima\n"
        "Head of Operations | Northwind Robotics\n+49 30 1234567\n"
    )

    parts = split_reply(text)

    assert parts.new_text == "Please send the contract.\n\nBest regards,"
    assert parts.signature == "Ana Lima\nHead of Operations | Northwind Robotics\n+49 30 1234567"


@pytest.mark.parametrize(
    "sign_off", ["Thanks,", "Cheers,", "Viele Grüße", "Cordialement,", "Saludos,"]
)
def test_sign_offs_in_several_languages_start_a_signature(sign_off: str) -> None:
    parts = split_reply(f"The numbers look right.\n\n{sign_off}\nAna\n")

    assert parts.signature == "Ana"
    assert parts.new_text.endswith(sign_off)


def test_a_sentence_after_thanks_is_not_a_signature() -> None:
    parts = split_reply("Thanks,\nI will send the signed contract tomorrow morning.")

    assert parts.signature == ""
    assert parts.new_text == "Thanks,\nI will send the signed contract tomorrow morning."


def test_sent_from_my_iphone_is_a_signature() -> None:
    parts = split_reply("Looks good, go ahead.\n\nSent from my iPhone\n")

    assert (parts.new_text, parts.signature) == ("Looks good, go ahead.", "Sent from my iPhone")


def test_signature_and_quote_together() -> None:
    text = (
        "Works for me.\n\nCheers,\nBo\n\n"
        "On Tue, Mar 5, 2024 at 9:14 AM Ana Lima <ana@x.example> wrote:\n> Tuesday?\n"
    )

    parts = split_reply(text)

    assert (parts.new_text, parts.signature) == ("Works for me.\n\nCheers,", "Bo")
    assert parts.quoted.endswith("> Tuesday?")


def test_a_gmail_forward_is_kept_in_the_new_text() -> None:
    text = (
        "FYI, a lead from the fair.\n\n"
        "---------- Forwarded message ---------\n"
        "From: Carl Stone <carl@acme.example>\n"
        "Date: Mon, Mar 4, 2024 at 5:02 PM\n"
        "Subject: Robots\n"
        "To: Ana Lima <ana@x.example>\n\n"
        "We want 40 robots for our Leipzig site.\n"
    )

    parts = split_reply(text)

    assert parts.new_text == text.strip()
    assert parts.quoted == ""


def test_an_apple_mail_forward_is_kept_in_the_new_text() -> None:
    text = (
        "See below.\n\nBegin forwarded message:\n\nFrom: Carl Stone <carl@acme.example>\n"
        "Subject: Robots\nDate: 4 March 2024 at 17:02:11 CET\n\nWe want 40 robots.\n"
    )

    parts = split_reply(text)

    assert "We want 40 robots." in parts.new_text and parts.quoted == ""


def test_a_forward_in_another_language_is_kept() -> None:
    text = "Zur Info\n\n---------- Weitergeleitete Nachricht ---------\nVon: Carl\n\nWir brauchen 40 Roboter.\n"

    assert "Wir brauchen 40 Roboter." in split_reply(text).new_text


def test_the_forwarders_signature_is_split_off_but_the_forward_stays() -> None:
    text = (
        "FYI\n\n-- \nAna\n\n---------- Forwarded message ---------\nFrom: Carl <carl@acme.example>\n\n"
        "We want 40 robots.\n"
    )

    parts = split_reply(text)

    assert parts.signature == "Ana"
    assert parts.new_text.startswith("FYI\n\n---------- Forwarded message")
    assert parts.new_text.endswith("We want 40 robots.")


def test_an_outlook_forward_is_kept_when_the_subject_says_forward() -> None:
    text = (
        "Please follow up.\n\n________________________________\nFrom: Carl Stone <carl@acme.example>\n"
        "Sent: Monday, March 4, 2024 17:02\nTo: Ana Lima\nSubject: Robots\n\nWe want 40 robots.\n"
    )

    forwarded = split_reply(text, subject="FW: Robots")
    replied = split_reply(text, subject="RE: Robots")

    assert forwarded.new_text.endswith("We want 40 robots.") and forwarded.quoted == ""
    assert replied.new_text == "Please follow up." and replied.quoted.endswith("We want 40 robots.")


def test_a_reply_quoting_a_forward_quotes_it() -> None:
    text = (
        "Thanks, on it.\n\nOn Tue, Mar 5, 2024 at 9:14 AM Ana <ana@x.example> wrote:\n"
        "> ---------- Forwarded message ---------\n> From: Carl\n> We want robots\n"
    )

    parts = split_reply(text, subject="Re: Fwd: Robots")

    assert parts.new_text == "Thanks, on it."
    assert "We want robots" in parts.quoted


def test_on_monday_i_wrote_in_running_text_is_not_an_attribution() -> None:
    text = "On Monday I wrote:\nthe plan is fine.\nLet's go."

    assert split_reply(text).new_text == text


def test_a_from_line_in_running_text_is_not_a_header_block() -> None:
    text = "From: the team in Leipzig, with thanks.\nWe loved the demo.\n"

    assert split_reply(text).new_text == text.strip()


def test_when_everything_looks_quoted_the_new_text_is_all_of_it() -> None:
    text = "> only quoted\n> lines here\n"

    parts = split_reply(text)

    assert parts.new_text == "> only quoted\n> lines here"
    assert parts.quoted == "" and parts.signature == ""


def test_empty_input_gives_empty_parts() -> None:
    assert split_reply("") == ReplyParts(new_text="", quoted="", signature="")


def test_crlf_line_endings_are_read_like_lf() -> None:
    parts = split_reply("Sure!\r\n\r\n> Could we meet?\r\n")

    assert (parts.new_text, parts.quoted) == ("Sure!", "> Could we meet?")


def test_a_gmail_html_reply_splits_after_conversion_to_text() -> None:
    html = (
        '<div dir="ltr">Works for me.</div><br><div class="gmail_quote">'
        '<div dir="ltr" class="gmail_attr">On Tue, Mar 5, 2024 at 9:14 AM Ana Lima '
        '&lt;<a href="mailto:ana@x.example">ana@x.example</a>&gt; wrote:<br></div>'
        '<blockquote class="gmail_quote"><div dir="ltr">Could we meet?</div></blockquote></div>'
    )

    parts = split_reply(html_to_text(html))

    assert parts.new_text == "Works for me."
    assert parts.quoted.endswith("> Could we meet?")


def test_huge_input_is_split_quickly() -> None:
    body = "A line the sender wrote about robots.\n" * 100_000
    history = "> an old line\n" * 100_000
    text = f"{body}\nOn Tue, Mar 5, 2024 at 9:14 AM Ana <ana@x.example> wrote:\n{history}"
    started = time.monotonic()

    parts = split_reply(text)

    assert time.monotonic() - started < 20
    assert parts.new_text == body.strip()
    assert parts.quoted.count("> an old line") == 100_000


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "> quoted",
                ">",
                "",
                "-- ",
                "--",
                "Best,",
                "Thanks,",
                "Ana",
                "Sent from my iPhone",
                "On Tue, Mar 5, 2024 at 9:14 AM Ana <ana@x.example> wrote:",
                "From: Ana <ana@x.example>",
                "Sent: Tuesday",
                "To: Bo",
                "Subject: Hi",
                "-----Original Message-----",
                "---------- Forwarded message ---------",
                "Begin forwarded message:",
                "________________________________",
            ]
        )
        | st.text(max_size=40),
        max_size=30,
    ).map("\n".join),
    st.sampled_from([None, "Re: x", "Fwd: x"]),
)
def test_any_text_splits_without_losing_the_new_text(text: str, subject: str | None) -> None:
    parts = split_reply(text, subject=subject)

    if text:
        assert parts.new_text
    for line in parts.new_text.splitlines():
        assert line in text.replace("\r\n", "\n").replace("\r", "\n")
