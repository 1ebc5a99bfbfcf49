"""The cap on MIME parts: the parser reads a message's first parts only, each of them whole,
and the message says how many there were and that the rest are only in the raw message."""

from __future__ import annotations

from email import policy

from compound.platform.email.parsing import MAX_NESTING, parse_message
from compound.platform.email.part_limit import (
    count_parts,
    left_out_note,
    parse_first_parts,
    parts_left_out,
)


def many_parts(count: int, *, tag: str = "many", boundary: str = "b") -> bytes:
    """A message of `count` attachments after its text: `count + 2` MIME parts with the root."""
    head = (
        f"From: ana@acme.example\r\nTo: hello@compound.localhost\r\nSubject: {count} parts\r\n"
        f"Message-ID: <{tag}@acme.example>\r\nDate: Mon, 07 Dec 2026 10:00:00 +0000\r\n"
        f'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
    ).encode()
    text = f"--{boundary}\r\nContent-Type: text/plain\r\n\r\nhello, {tag}\r\n".encode()
    parts = b"".join(
        f"--{boundary}\r\nContent-Type: application/octet-stream\r\n"
        f'Content-Disposition: attachment; filename="f{index}.bin"\r\n\r\nAAAA{index}\r\n'.encode()
        for index in range(count)
    )
    return head + text + parts + f"--{boundary}--\r\n".encode()


def test_a_message_over_the_cap_keeps_its_first_parts_whole_and_says_how_many() -> None:
    parsed = parse_message(many_parts(2_000), max_parts=50)

    assert parsed.text == "hello, many"
    # The root and the text part count: 48 attachments, each whole, in order.
    assert [a.filename for a in parsed.attachments] == [f"f{index}.bin" for index in range(48)]
    assert parsed.attachments[-1].content == b"AAAA47"
    assert parsed.defects[0] == (
        "50 of 2,002 MIME parts kept; the rest are only in the raw message"
    )
    assert left_out_note(parsed.defects) == parsed.defects[0]


def test_a_message_within_the_cap_is_read_whole_and_says_nothing() -> None:
    parsed = parse_message(many_parts(48), max_parts=50)

    assert len(parsed.attachments) == 48
    assert left_out_note(parsed.defects) is None


def test_the_parser_stops_creating_parts_at_the_cap() -> None:
    raw = many_parts(20_000)
    first = parse_first_parts(raw, 500, policy.default)

    assert first.cut
    assert sum(1 for _ in first.root.walk()) == 500
    assert count_parts(raw, first.root) == 20_002
    whole = parse_first_parts(many_parts(10), 500, policy.default)
    assert not whole.cut and sum(1 for _ in whole.root.walk()) == 12


def test_a_boundary_recovered_from_broken_syntax_is_capped_too() -> None:
    # "multipart/mixed boundary=b" without its semicolon: the standard library reads one text
    # part, and the parser reads the body again with the boundary it found.
    raw = many_parts(2_000).replace(
        b'multipart/mixed; boundary="b"', b'multipart/mixed boundary="b"'
    )
    parsed = parse_message(raw, max_parts=50)

    assert len(parsed.attachments) <= 50
    assert "boundary read despite broken syntax" in " ".join(parsed.defects)
    note = left_out_note(parsed.defects)
    assert note is not None and note.startswith("50 of ")


def test_nested_multiparts_count_every_part() -> None:
    inner = many_parts(30, boundary="inner").split(b"\r\n\r\n", 1)[1]
    outer = (
        b"From: a@x.example\r\nContent-Type: multipart/mixed; boundary=outer\r\n\r\n"
        b"--outer\r\nContent-Type: multipart/mixed; boundary=inner\r\n\r\n"
        + inner
        + b"\r\n--outer\r\nContent-Type: text/plain\r\n\r\nafter\r\n--outer--\r\n"
    )
    parsed = parse_message(outer, max_parts=10)

    # root, the inner multipart, its 31 parts, and the text after it.
    assert parsed.defects[0].startswith("10 of 34 MIME parts kept")


def test_deep_nesting_is_read_as_text_at_any_depth() -> None:
    for levels in (MAX_NESTING + 5, 400, 5_000):
        raw = b"From: a@x.example\n" + b"".join(
            b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (level, level)
            for level in range(levels)
        )
        parsed = parse_message(raw + b"\nThe words at the bottom.\n")

        assert "The words at the bottom." in parsed.text, levels
        assert left_out_note(parsed.defects) is None  # all of it is kept, as text


def test_the_note_names_at_least_one_part_more_than_kept() -> None:
    assert parts_left_out(500, 0) == (
        "500 of 501 MIME parts kept; the rest are only in the raw message"
    )
    assert left_out_note(
        ["a defect", "500 of 100,002 MIME parts kept; the rest are only in the raw message"]
    )
    assert left_out_note(["Subject: 500 of 600 MIME parts kept; the rest are only in"]) is None
