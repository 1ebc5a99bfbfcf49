"""Writes the email parser's corpus: real-world-shaped .eml files and expected.json, the answer
key, both from the same inputs here (never from the parser's output).

Run `python tests/corpora/email/make_corpus.py` after changing a case; a test checks that the
committed files are what this script writes. The 10 MB attachment is built at test time by
`large_attachment_message()` instead of being committed.
"""

from __future__ import annotations

import base64
import binascii
import json
import quopri
import struct
import sys
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ANSWER_KEY = "expected.json"

Header = tuple[str, str | bytes]


@dataclass(frozen=True)
class Entity:
    """One MIME entity: its headers and its already-encoded body."""

    headers: tuple[Header, ...]
    body: bytes
    attachments: tuple[dict[str, Any], ...] = ()
    """What the parser should report for the attachments inside this entity, in order."""


@dataclass(frozen=True)
class Case:
    name: str
    raw: bytes
    expected: dict[str, Any] = field(default_factory=dict)


# -- building blocks ---------------------------------------------------------------------------


def encoded_word_b(text: str, charset: str = "utf-8") -> str:
    return f"=?{charset}?b?{base64.b64encode(text.encode(charset)).decode()}?="


def encoded_word_q(text: str, charset: str = "iso-8859-1") -> str:
    pieces = []
    for byte in text.encode(charset):
        character = chr(byte)
        if character == " ":
            pieces.append("_")
        elif character.isascii() and character.isalnum():
            pieces.append(character)
        else:
            pieces.append(f"={byte:02X}")
    return f"=?{charset}?q?{''.join(pieces)}?="


def wrapped_base64(data: bytes) -> bytes:
    encoded = base64.b64encode(data)
    return b"\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76)) + b"\n"


def text_part(
    body: str,
    *,
    subtype: str = "plain",
    charset: str | None = "utf-8",
    encoding: str = "quoted-printable",
    extra: Sequence[Header] = (),
) -> Entity:
    data = body.encode(charset or "ascii")
    if encoding == "quoted-printable":
        encoded = quopri.encodestring(data)
    elif encoding == "base64":
        encoded = wrapped_base64(data)
    else:
        encoded = data
    content_type = f"text/{subtype}" + (f"; charset={charset}" if charset else "")
    headers: list[Header] = [("Content-Type", content_type)]
    if encoding not in ("7bit", "none"):
        headers.append(("Content-Transfer-Encoding", encoding))
    return Entity((*headers, *extra), encoded)


def attachment(
    filename: str | None,
    content_type: str,
    content: bytes,
    *,
    disposition: str | None = "attachment",
    content_id: str | None = None,
    name_header: str | None = None,
    expected_filename: str | None = None,
) -> Entity:
    """A base64 file; `name_header` overrides how the name is written in the headers."""
    written_name = name_header if name_header is not None else filename
    type_value = content_type + (f'; name="{written_name}"' if written_name else "")
    headers: list[Header] = [("Content-Type", type_value)]
    if disposition:
        disposition_value = disposition + (f'; filename="{written_name}"' if written_name else "")
        headers.append(("Content-Disposition", disposition_value))
    if content_id:
        headers.append(("Content-ID", f"<{content_id}>"))
    headers.append(("Content-Transfer-Encoding", "base64"))
    report = {
        "filename": expected_filename if expected_filename is not None else filename,
        "content_type": content_type,
        "size": len(content),
        "inline": disposition == "inline" or (disposition is None and content_id is not None),
        "content_id": content_id,
    }
    return Entity(tuple(headers), wrapped_base64(content), (report,))


def multipart(
    subtype: str, parts: Sequence[Entity], boundary: str, *, close: bool = True
) -> Entity:
    body = b"This is a multi-part message in MIME format.\n\n"
    for part in parts:
        body += b"--" + boundary.encode() + b"\n" + render_entity(part) + b"\n"
    if close:
        body += b"--" + boundary.encode() + b"--\n"
    headers: tuple[Header, ...] = (("Content-Type", f'multipart/{subtype}; boundary="{boundary}"'),)
    reports = tuple(report for part in parts for report in part.attachments)
    return Entity(headers, body, reports)


def render_headers(headers: Sequence[Header]) -> bytes:
    lines = []
    for name, value in headers:
        encoded = value if isinstance(value, bytes) else value.encode("utf-8")
        lines.append(name.encode() + b": " + encoded + b"\n")
    return b"".join(lines)


def render_entity(entity: Entity) -> bytes:
    return render_headers(entity.headers) + b"\n" + entity.body


def envelope(
    *,
    sender: str | bytes = "Ana Lima <ana.lima@northwind-robotics.example>",
    to: str = "Sales <sales@compound.example>",
    subject: str | bytes = "Demo next week?",
    date: str | None = "Tue, 05 Mar 2024 09:14:00 +0100",
    message_id: str | None = "auto",
    extra: Sequence[Header] = (),
) -> list[Header]:
    headers: list[Header] = [("From", sender), ("To", to), ("Subject", subject)]
    if date is not None:
        headers.append(("Date", date))
    if message_id is not None:
        headers.append(("Message-ID", message_id))
    headers.append(("MIME-Version", "1.0"))
    headers.extend(extra)
    return headers


def message(
    top: list[Header], entity: Entity, *, newline: bytes = b"\r\n", prefix: bytes = b""
) -> bytes:
    raw = render_headers([*top, *entity.headers]) + b"\n" + entity.body
    return prefix + raw.replace(b"\n", newline)


def png(width: int = 1, height: int = 1, shade: int = 0) -> bytes:
    """A valid, tiny greyscale PNG, built here so no binary file is committed."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + bytes([shade]) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def pdf(title: str) -> bytes:
    """A small, well-formed one-page PDF."""
    stream = f"BT /F1 18 Tf 72 720 Td ({title}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out


def expect(
    *,
    sender: str | None = "ana.lima@northwind-robotics.example",
    subject: str = "Demo next week?",
    phrase: str,
    attachments: Sequence[dict[str, Any]] = (),
    defects: Sequence[str] = (),
    clean: bool = False,
    **more: Any,
) -> dict[str, Any]:
    """The answer key of one message. `defects` are words each expected defect contains;
    `clean` says the message is well-formed and must have no defects at all."""
    return {
        "from": sender,
        "subject": subject,
        "phrase": phrase,
        "attachments": list(attachments),
        "defects": list(defects),
        "clean": clean,
        **more,
    }


# -- the cases ------------------------------------------------------------------------------

ASK = "Hi team,\n\nCould we see a demo of the picking robots next week?\n\nBest,\nAna\n"
ASK_HTML = (
    "<html><head><style>p { margin: 0 }</style></head><body>"
    "<p>Hi team,</p><p>Could we see a <b>demo</b> of the picking robots next week?</p>"
    "<p>Best,<br>Ana</p></body></html>"
)
PHRASE = "demo of the picking robots"


def cases() -> list[Case]:
    found: list[Case] = []

    def add(name: str, raw: bytes, expected: dict[str, Any]) -> None:
        found.append(Case(name, raw, expected))

    top = envelope
    mid = "<{}@mail.northwind-robotics.example>"

    add(
        "plain-crlf",
        message(top(message_id=mid.format("plain-crlf")), text_part(ASK)),
        expect(phrase=PHRASE, clean=True, message_id="plain-crlf@mail.northwind-robotics.example"),
    )
    add(
        "plain-bare-lf",
        message(top(message_id=mid.format("lf")), text_part(ASK, encoding="7bit"), newline=b"\n"),
        expect(phrase=PHRASE, clean=True),
    )
    add(
        "alternative-gmail",
        message(
            top(message_id="<CAF=abc123@mail.gmail.com>"),
            multipart(
                "alternative", [text_part(ASK), text_part(ASK_HTML, subtype="html")], "00alt"
            ),
        ),
        expect(phrase=PHRASE, clean=True, html=True, message_id="CAF=abc123@mail.gmail.com"),
    )
    logo = png(4, 4, 200)
    deck = pdf("Northwind deck")
    add(
        "nested-mixed-alternative-related",
        message(
            top(message_id=mid.format("nested")),
            multipart(
                "mixed",
                [
                    multipart(
                        "alternative",
                        [
                            text_part(ASK),
                            multipart(
                                "related",
                                [
                                    text_part(
                                        ASK_HTML.replace(
                                            "</body>", '<img src="cid:logo@northwind"></body>'
                                        ),
                                        subtype="html",
                                    ),
                                    attachment(
                                        "logo.png",
                                        "image/png",
                                        logo,
                                        disposition="inline",
                                        content_id="logo@northwind",
                                    ),
                                ],
                                "rel-1",
                            ),
                        ],
                        "alt-1",
                    ),
                    attachment("Northwind deck.pdf", "application/pdf", deck),
                ],
                "mix-1",
            ),
        ),
        expect(
            phrase=PHRASE,
            clean=True,
            html=True,
            attachments=[
                {
                    "filename": "logo.png",
                    "content_type": "image/png",
                    "size": len(logo),
                    "inline": True,
                    "content_id": "logo@northwind",
                },
                {
                    "filename": "Northwind deck.pdf",
                    "content_type": "application/pdf",
                    "size": len(deck),
                    "inline": False,
                    "content_id": None,
                },
            ],
        ),
    )
    german = "Sehr geehrte Damen und Herren,\n\nwir möchten 12 Greifarme bestellen.\n\nGrüße aus München\n"
    add(
        "iso-8859-1-quoted-printable",
        message(
            top(subject="Bestellung", message_id=mid.format("latin1")),
            text_part(german, charset="iso-8859-1"),
        ),
        expect(subject="Bestellung", phrase="Grüße aus München", clean=True),
    )
    smart = "Our \u201cPremium\u201d plan costs 500 \u20ac \u2013 per month.\n"
    add(
        "windows-1252-8bit",
        message(
            top(subject="Pricing", message_id=mid.format("cp1252")),
            text_part(smart, charset="windows-1252", encoding="8bit"),
        ),
        expect(subject="Pricing", phrase="\u201cPremium\u201d plan costs 500 \u20ac", clean=True),
    )
    japanese = "お世話になっております。\nデモの日程をご相談させてください。\n"
    add(
        "shift-jis-base64",
        message(
            top(subject=encoded_word_b("デモのご相談", "shift_jis"), message_id=mid.format("sjis")),
            text_part(japanese, charset="shift_jis", encoding="base64"),
        ),
        expect(subject="デモのご相談", phrase="デモの日程をご相談させてください", clean=True),
    )
    russian = "Здравствуйте!\nНам нужен счёт на 40 роботов.\n"
    add(
        "koi8-r-8bit",
        message(
            top(subject=encoded_word_b("Счёт", "koi8-r"), message_id=mid.format("koi8")),
            text_part(russian, charset="koi8-r", encoding="8bit"),
        ),
        expect(subject="Счёт", phrase="Нам нужен счёт на 40 роботов", clean=True),
    )
    add(
        "iso-2022-jp",
        message(
            top(subject=encoded_word_b("見積もり", "iso-2022-jp"), message_id=mid.format("jis")),
            text_part("見積もりをお願いします。\n", charset="iso-2022-jp", encoding="7bit"),
        ),
        expect(subject="見積もり", phrase="見積もりをお願いします", clean=True),
    )
    add(
        "gb2312-base64",
        message(
            top(subject=encoded_word_b("报价", "gb2312"), message_id=mid.format("gb")),
            text_part("您好，请发送报价单。\n", charset="gb2312", encoding="base64"),
        ),
        expect(subject="报价", phrase="请发送报价单", clean=True),
    )
    add(
        "encoded-word-subject-utf8-b",
        message(
            top(
                subject=encoded_word_b("Résumé für Q3 — 日本"),
                message_id=mid.format("ew-b"),
            ),
            text_part(ASK),
        ),
        expect(subject="Résumé für Q3 — 日本", phrase=PHRASE, clean=True),
    )
    add(
        "encoded-word-name-iso-8859-1-q",
        message(
            top(
                sender=f"{encoded_word_q('Jörg Müller')} <Joerg.Mueller@Kraftwerk-Bau.example>",
                subject=encoded_word_q("Angebot für Förderbänder"),
                message_id=mid.format("ew-q"),
            ),
            text_part(ASK),
        ),
        expect(
            sender="joerg.mueller@kraftwerk-bau.example",
            sender_name="Jörg Müller",
            subject="Angebot für Förderbänder",
            phrase=PHRASE,
            clean=True,
        ),
    )
    split_words = f"{encoded_word_b('Quarterly ')}\n {encoded_word_b('review – Ω')}"
    add(
        "encoded-words-folded-adjacent",
        message(top(subject=split_words, message_id=mid.format("ew-fold")), text_part(ASK)),
        expect(subject="Quarterly review – Ω", phrase=PHRASE, clean=True),
    )
    quote = pdf("Quote 2024-117")
    add(
        "pdf-attachment",
        message(
            top(subject="Quote 2024-117", message_id=mid.format("pdf")),
            multipart(
                "mixed",
                [
                    text_part("Please find our quote attached.\n"),
                    attachment("quote.pdf", "application/pdf", quote),
                ],
                "b-pdf",
            ),
        ),
        expect(
            subject="Quote 2024-117",
            phrase="find our quote attached",
            clean=True,
            attachments=[
                {
                    "filename": "quote.pdf",
                    "content_type": "application/pdf",
                    "size": len(quote),
                    "inline": False,
                }
            ],
        ),
    )
    table = "company,domain,country\nNorthwind Robotics,northwind-robotics.example,DE\nAcme,acme.example,US\n"
    add(
        "csv-attachment",
        message(
            top(subject="Leads from the fair", message_id=mid.format("csv")),
            multipart(
                "mixed",
                [
                    text_part("Here are the leads we met at the fair.\n"),
                    attachment("leads.csv", "text/csv", table.encode()),
                ],
                "b-csv",
            ),
        ),
        expect(
            subject="Leads from the fair",
            phrase="leads we met at the fair",
            clean=True,
            attachments=[{"filename": "leads.csv", "content_type": "text/csv", "size": len(table)}],
        ),
    )
    forwarded = message(
        envelope(
            sender="Carl Stone <carl@acme.example>",
            subject="We want 40 robots",
            message_id="<fw-inner@acme.example>",
        ),
        text_part("We want 40 robots by June.\n"),
        newline=b"\n",
    )
    add(
        "message-rfc822-forward",
        message(
            top(subject="Fwd: We want 40 robots", message_id=mid.format("fwd-attached")),
            multipart(
                "mixed",
                [
                    text_part("See the attached request from Acme.\n"),
                    Entity(
                        (("Content-Type", "message/rfc822"), ("Content-Disposition", "inline")),
                        forwarded,
                    ),
                ],
                "b-fwd",
            ),
        ),
        expect(
            subject="Fwd: We want 40 robots",
            phrase="attached request from Acme",
            clean=True,
            attachments=[
                {
                    "filename": "forwarded.eml",
                    "content_type": "message/rfc822",
                    "contains": "We want 40 robots by June.",
                }
            ],
        ),
    )
    add(
        "message-rfc822-named",
        message(
            top(subject="Fwd: original", message_id=mid.format("fwd-named")),
            multipart(
                "mixed",
                [
                    text_part("Original message attached.\n"),
                    Entity(
                        (
                            ("Content-Type", 'message/rfc822; name="original.eml"'),
                            ("Content-Disposition", 'attachment; filename="original.eml"'),
                        ),
                        forwarded,
                    ),
                ],
                "b-fwd2",
            ),
        ),
        expect(
            subject="Fwd: original",
            phrase="Original message attached",
            clean=True,
            attachments=[
                {
                    "filename": "original.eml",
                    "content_type": "message/rfc822",
                    "contains": "We want 40 robots",
                }
            ],
        ),
    )
    banner = png(8, 2, 90)
    add(
        "html-related-inline-png",
        message(
            top(subject="Our new gripper", message_id=mid.format("related")),
            multipart(
                "related",
                [
                    text_part(
                        '<p>Meet the <b>G2 gripper</b>.</p><img src="cid:banner.png@01DA">',
                        subtype="html",
                    ),
                    attachment(
                        "banner.png",
                        "image/png",
                        banner,
                        disposition=None,
                        content_id="banner.png@01DA",
                    ),
                ],
                "b-rel",
            ),
        ),
        expect(
            subject="Our new gripper",
            phrase="Meet the G2 gripper.",
            clean=True,
            html=True,
            attachments=[
                {
                    "filename": "banner.png",
                    "content_type": "image/png",
                    "size": len(banner),
                    "inline": True,
                    "content_id": "banner.png@01DA",
                }
            ],
        ),
    )
    add(
        "missing-date",
        message(top(date=None, message_id=mid.format("nodate")), text_part(ASK)),
        expect(phrase=PHRASE, defects=["Date"], date=None),
    )
    add(
        "missing-message-id",
        message(top(message_id=None), text_part(ASK)),
        expect(phrase=PHRASE, clean=True, message_id=None),
    )
    outlook_html = (
        '<html xmlns:o="urn:schemas-microsoft-com:office:office"><head>'
        '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
        "<style><!-- p.MsoNormal {margin:0cm; font-family:Calibri} --></style>"
        '<!--[if gte mso 9]><xml><o:shapedefaults v:ext="edit" spidmax="1026" /></xml><![endif]-->'
        '</head><body lang="EN-US"><div class="WordSection1">'
        '<p class="MsoNormal">Hello Ana,<o:p></o:p></p>'
        '<p class="MsoNormal"><o:p>&nbsp;</o:p></p>'
        '<p class="MsoNormal">We would like to order <b>twelve units</b> &amp; a service plan.<o:p></o:p></p>'
        '<p class="MsoNormal">Regards,<br>Bo Berg<o:p></o:p></p>'
        '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">'
        '<p class="MsoNormal"><b>From:</b> Ana Lima &lt;ana.lima@northwind-robotics.example&gt;<br>'
        "<b>Sent:</b> Monday, March 4, 2024 9:14 AM<br><b>To:</b> Bo Berg &lt;bo@acme.example&gt;<br>"
        "<b>Subject:</b> Offer</p></div>"
        '<p class="MsoNormal">Here is our offer.<o:p></o:p></p></div></body></html>'
    )
    add(
        "outlook-html-only",
        message(
            top(
                sender="Bo Berg <bo@acme.example>",
                subject="RE: Offer",
                message_id="<DB9PR01MB1234@DB9PR01MB1234.eurprd01.prod.outlook.com>",
                extra=[("X-MS-Has-Attach", ""), ("Thread-Topic", "Offer")],
            ),
            text_part(outlook_html, subtype="html", encoding="base64"),
        ),
        expect(
            sender="bo@acme.example",
            subject="RE: Offer",
            phrase="order twelve units & a service plan",
            clean=True,
            html=True,
            text_lacks=["<p", "<o:p", "<b>", "MsoNormal", "&amp;", "&lt;", "shapedefaults"],
        ),
    )
    ics = (
        "BEGIN:VCALENDAR\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\nVERSION:2.0\n"
        "METHOD:REQUEST\nBEGIN:VEVENT\nDTSTART:20240312T140000Z\nDTEND:20240312T143000Z\n"
        "SUMMARY:Robot demo\nUID:demo-1@google.com\nEND:VEVENT\nEND:VCALENDAR\n"
    )
    calendar = text_part(ics, subtype="calendar", encoding="7bit")
    calendar = Entity(
        (("Content-Type", 'text/calendar; charset="UTF-8"; method=REQUEST'),),
        calendar.body,
        (
            {
                "filename": None,
                "content_type": "text/calendar",
                "size": len(ics.replace("\n", "\r\n")),
            },
        ),
    )
    add(
        "calendar-invite",
        message(
            top(
                subject="Invitation: Robot demo @ Tue Mar 12, 2024", message_id=mid.format("invite")
            ),
            multipart(
                "mixed",
                [
                    multipart(
                        "alternative",
                        [
                            text_part(
                                "You have been invited to the following event.\nRobot demo\n"
                            ),
                            text_part(
                                "<p>You have been invited to <b>Robot demo</b></p>", subtype="html"
                            ),
                            calendar,
                        ],
                        "cal-alt",
                    ),
                    attachment("invite.ics", "application/ics", ics.encode()),
                ],
                "cal-mix",
            ),
        ),
        expect(
            subject="Invitation: Robot demo @ Tue Mar 12, 2024",
            phrase="invited to the following event",
            clean=True,
            html=True,
            attachments=[
                *calendar.attachments,
                {"filename": "invite.ics", "content_type": "application/ics", "size": len(ics)},
            ],
        ),
    )
    add(
        "out-of-office-auto-submitted",
        message(
            top(
                sender="Bo Berg <bo@acme.example>",
                subject="Automatic reply: Demo next week?",
                message_id=mid.format("ooo"),
                extra=[("Auto-Submitted", "auto-replied"), ("X-Auto-Response-Suppress", "All")],
            ),
            text_part("I am out of the office until March 11 with limited access to email.\n"),
        ),
        expect(
            sender="bo@acme.example",
            subject="Automatic reply: Demo next week?",
            phrase="out of the office until March 11",
            clean=True,
            auto_submitted=True,
            is_bulk=False,
        ),
    )
    add(
        "x-autoreply",
        message(
            top(
                subject="Re: Demo",
                message_id=mid.format("autoreply"),
                extra=[("X-Autoreply", "yes")],
            ),
            text_part("Thanks for your message. I will answer after my holidays.\n"),
        ),
        expect(subject="Re: Demo", phrase="after my holidays", clean=True, auto_submitted=True),
    )
    news_html = (
        "<html><body><table><tr><td><h1>Robotics Weekly</h1></td></tr>"
        '<tr><td><p>Five ways to cut picking errors. <a href="https://news.example/r/1?u=42">Read more</a></p></td></tr>'
        '<tr><td><a href="https://news.example/unsubscribe?u=42">Unsubscribe</a></td></tr></table></body></html>'
    )
    add(
        "newsletter-list-unsubscribe",
        message(
            top(
                sender="Robotics Weekly <newsletter@news.example>",
                subject="Five ways to cut picking errors",
                message_id=mid.format("news"),
                extra=[
                    (
                        "List-Unsubscribe",
                        "<https://news.example/unsubscribe?u=42>, <mailto:unsubscribe@news.example>",
                    ),
                    ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
                    ("Precedence", "bulk"),
                ],
            ),
            multipart(
                "alternative",
                [
                    text_part("Robotics Weekly\n\nFive ways to cut picking errors.\n"),
                    text_part(news_html, subtype="html"),
                ],
                "news-alt",
            ),
        ),
        expect(
            sender="newsletter@news.example",
            subject="Five ways to cut picking errors",
            phrase="Five ways to cut picking errors.",
            clean=True,
            html=True,
            is_bulk=True,
        ),
    )
    add(
        "mailing-list-id",
        message(
            top(
                sender="Dev List <dev@lists.example>",
                subject="[dev] release 2.1",
                message_id=mid.format("list"),
                extra=[("List-Id", "Developers <dev.lists.example>"), ("Precedence", "list")],
            ),
            text_part("Release 2.1 is out.\n"),
        ),
        expect(
            sender="dev@lists.example",
            subject="[dev] release 2.1",
            phrase="Release 2.1 is out",
            clean=True,
            is_bulk=True,
        ),
    )
    add(
        "html-only-charset-in-meta",
        message(
            top(subject="Meta charset", message_id=mid.format("meta")),
            Entity(
                (("Content-Type", "text/html"), ("Content-Transfer-Encoding", "8bit")),
                '<html><head><meta charset="utf-8"></head><body><p>Café crème for the demo team.</p></body></html>\n'.encode(),
            ),
        ),
        expect(
            subject="Meta charset", phrase="Café crème for the demo team.", clean=True, html=True
        ),
    )
    add(
        "unknown-charset",
        message(
            top(subject="Unknown charset", message_id=mid.format("unknown-charset")),
            Entity(
                (
                    ("Content-Type", "text/plain; charset=x-mystery-2000"),
                    ("Content-Transfer-Encoding", "8bit"),
                ),
                "Price: 12 € per unit, naïve estimate.\n".encode(),
            ),
        ),
        expect(
            subject="Unknown charset", phrase="Price: 12 € per unit", defects=["unknown charset"]
        ),
    )
    add(
        "broken-base64",
        message(
            top(subject="Broken base64", message_id=mid.format("bad-b64")),
            Entity(
                (
                    ("Content-Type", "text/plain; charset=utf-8"),
                    ("Content-Transfer-Encoding", "base64"),
                ),
                base64.b64encode(b"The order number is 4711.\n")[:-3] + b"!!*\n",
            ),
        ),
        expect(subject="Broken base64", phrase="The order number is", defects=["base64"]),
    )
    add(
        "broken-quoted-printable",
        message(
            top(subject="Broken QP", message_id=mid.format("bad-qp")),
            Entity(
                (
                    ("Content-Type", "text/plain; charset=utf-8"),
                    ("Content-Transfer-Encoding", "quoted-printable"),
                ),
                b"Total =E2=82=AC 300 =ZZ and a dangling soft break =\n",
            ),
        ),
        expect(subject="Broken QP", phrase="Total € 300"),
    )
    add(
        "rfc2231-filename",
        message(
            top(subject="Angebot", message_id=mid.format("2231")),
            multipart(
                "mixed",
                [
                    text_part("Angebot anbei.\n"),
                    Entity(
                        (
                            ("Content-Type", "application/pdf"),
                            (
                                "Content-Disposition",
                                "attachment; filename*=utf-8''Angebot%20M%C3%BCnchen.pdf",
                            ),
                            ("Content-Transfer-Encoding", "base64"),
                        ),
                        wrapped_base64(quote),
                        (
                            {
                                "filename": "Angebot München.pdf",
                                "content_type": "application/pdf",
                                "size": len(quote),
                            },
                        ),
                    ),
                ],
                "b-2231",
            ),
        ),
        expect(
            subject="Angebot",
            phrase="Angebot anbei",
            clean=True,
            attachments=[
                {
                    "filename": "Angebot München.pdf",
                    "content_type": "application/pdf",
                    "size": len(quote),
                }
            ],
        ),
    )
    encoded_name = encoded_word_q("Präsentation.pdf", "utf-8")
    add(
        "encoded-word-filename",
        message(
            top(subject="Slides", message_id=mid.format("ew-file")),
            multipart(
                "mixed",
                [
                    text_part("Slides attached.\n"),
                    attachment(
                        "Präsentation.pdf", "application/pdf", deck, name_header=encoded_name
                    ),
                ],
                "b-ewf",
            ),
        ),
        expect(
            subject="Slides",
            phrase="Slides attached",
            attachments=[
                {
                    "filename": "Präsentation.pdf",
                    "content_type": "application/pdf",
                    "size": len(deck),
                }
            ],
        ),
    )
    add(
        "date-without-zone",
        message(
            top(date="Tue, 05 Mar 2024 09:14:00", message_id=mid.format("nozone")), text_part(ASK)
        ),
        expect(phrase=PHRASE, defects=["time zone"], date="2024-03-05T09:14:00+00:00"),
    )
    add(
        "date-far-future",
        message(
            top(date="Sat, 01 Jan 2201 00:00:00 +0000", message_id=mid.format("future")),
            text_part(ASK),
        ),
        expect(phrase=PHRASE, defects=["implausible"], date="2201-01-01T00:00:00+00:00"),
    )
    add(
        "date-epoch",
        message(
            top(date="Thu, 01 Jan 1970 00:00:00 +0000", message_id=mid.format("epoch")),
            text_part(ASK),
        ),
        expect(phrase=PHRASE, defects=["implausible"], date="1970-01-01T00:00:00+00:00"),
    )
    add(
        "date-garbage",
        message(top(date="sometime next week", message_id=mid.format("baddate")), text_part(ASK)),
        expect(phrase=PHRASE, defects=["Date"], date=None),
    )
    add(
        "date-with-comment-zone",
        message(
            top(date="Tue, 5 Mar 2024 09:14:00 -0800 (PST)", message_id=mid.format("pst")),
            text_part(ASK),
        ),
        expect(phrase=PHRASE, clean=True, date="2024-03-05T09:14:00-08:00"),
    )
    add(
        "invalid-recipient-kept",
        message(
            top(
                to="Sales <sales@compound.example>, bob at acme dot com, <broken@@acme.example>",
                message_id=mid.format("badto"),
            ),
            text_part(ASK),
        ),
        expect(
            phrase=PHRASE,
            defects=["To: invalid address"],
            to=["sales@compound.example", "bob at acme dot com", "<broken@@acme.example>"],
            to_valid=[True, False, False],
        ),
    )
    add(
        "undisclosed-recipients",
        message(
            top(to="undisclosed-recipients:;", message_id=mid.format("undisclosed")), text_part(ASK)
        ),
        expect(phrase=PHRASE, clean=True, to=[]),
    )
    add(
        "group-and-cc-reply-to",
        message(
            top(
                to="Team: Ana <ANA@Compound.Example>, bo@compound.example;, Carl <carl@compound.example>",
                message_id=mid.format("group"),
                extra=[
                    (
                        "Cc",
                        '"Lima, Ana" <ana.lima@northwind-robotics.example>, =?utf-8?q?Zo=C3=AB?= <zoe@x.example>',
                    ),
                    ("Reply-To", "Sales Desk <desk@northwind-robotics.example>"),
                ],
            ),
            text_part(ASK),
        ),
        expect(
            phrase=PHRASE,
            clean=True,
            to=["ana@compound.example", "bo@compound.example", "carl@compound.example"],
            cc=["ana.lima@northwind-robotics.example", "zoe@x.example"],
            cc_names=["Lima, Ana", "Zoë"],
            reply_to=["desk@northwind-robotics.example"],
        ),
    )
    add(
        "raw-utf8-headers",
        message(
            top(
                sender="Zoë Ångström <zoe@fjord.example>",
                subject="Grüße – raw UTF-8 header",
                message_id=mid.format("smtputf8"),
            ),
            text_part(ASK),
        ),
        expect(
            sender="zoe@fjord.example",
            sender_name="Zoë Ångström",
            subject="Grüße – raw UTF-8 header",
            phrase=PHRASE,
            clean=True,
        ),
    )
    add(
        "raw-latin1-header",
        message(
            top(
                sender=b"J\xf6rg <joerg@kraftwerk-bau.example>",
                subject=b"Preis f\xfcr 10 St\xfcck",
                message_id=mid.format("raw-latin1"),
            ),
            text_part(ASK),
        ),
        expect(
            sender="joerg@kraftwerk-bau.example",
            sender_name="Jörg",
            subject="Preis für 10 Stück",
            phrase=PHRASE,
            defects=["windows-1252"],
        ),
    )
    add(
        "nul-bytes",
        message(
            top(subject="NUL\x00 inside", message_id=mid.format("nul")),
            Entity(
                (("Content-Type", "text/plain; charset=utf-8"),),
                b"Hello\x00 there, the NUL is gone.\n",
            ),
        ),
        expect(subject="NUL inside", phrase="Hello there, the NUL is gone.", defects=["NUL"]),
    )
    add(
        "reply-gmail-quoted",
        message(
            top(
                sender="Bo Berg <bo@acme.example>",
                subject="Re: Demo next week?",
                message_id="<CAB=reply1@mail.gmail.com>",
                extra=[
                    ("In-Reply-To", "<CAF=abc123@mail.gmail.com>"),
                    (
                        "References",
                        "<root@northwind-robotics.example>\n <CAF=abc123@mail.gmail.com>",
                    ),
                ],
            ),
            text_part(
                "Tuesday at 10 works for us.\n\nOn Tue, Mar 5, 2024 at 9:14 AM Ana Lima <ana.lima@northwind-robotics.example> wrote:\n> Could we see a demo?\n"
            ),
        ),
        expect(
            sender="bo@acme.example",
            subject="Re: Demo next week?",
            phrase="Tuesday at 10 works",
            clean=True,
            in_reply_to="CAF=abc123@mail.gmail.com",
            references=["root@northwind-robotics.example", "CAF=abc123@mail.gmail.com"],
        ),
    )
    add(
        "format-flowed-thunderbird",
        message(
            top(message_id=mid.format("flowed"), extra=[("User-Agent", "Mozilla Thunderbird")]),
            Entity(
                (
                    ("Content-Type", "text/plain; charset=UTF-8; format=flowed"),
                    ("Content-Transfer-Encoding", "7bit"),
                ),
                b"Could we see a demo of the picking \nrobots next week?\n\n-- \nAna\n",
            ),
        ),
        expect(phrase="demo of the picking", clean=True),
    )
    photo = png(3, 3, 30)
    add(
        "apple-mail-inline-image-between-text",
        message(
            top(message_id=mid.format("apple"), extra=[("X-Mailer", "Apple Mail (2.3774)")]),
            multipart(
                "mixed",
                [
                    text_part("Here is the layout of our warehouse:\n"),
                    attachment("IMG_0042.png", "image/png", photo, disposition="inline"),
                    text_part("And this is where the robots would go.\n"),
                ],
                "Apple-Mail=_1",
            ),
        ),
        expect(
            phrase="where the robots would go",
            also=["layout of our warehouse"],
            clean=True,
            attachments=[
                {
                    "filename": "IMG_0042.png",
                    "content_type": "image/png",
                    "size": len(photo),
                    "inline": True,
                }
            ],
        ),
    )
    signature = b"MIAGCSqGSIb3DQEHAqCAMIACAQExDzANBglghkgBZQMEAgEFADCABgkqhkiG9w0BBwEAAKCAMIIE"
    add(
        "smime-signed",
        message(
            top(message_id=mid.format("smime")),
            multipart(
                "signed",
                [
                    text_part(ASK),
                    attachment(
                        "smime.p7s", "application/pkcs7-signature", base64.b64decode(signature)
                    ),
                ],
                "smime-b",
            ),
        ),
        expect(
            phrase=PHRASE,
            clean=True,
            attachments=[
                {
                    "filename": "smime.p7s",
                    "content_type": "application/pkcs7-signature",
                    "size": len(base64.b64decode(signature)),
                }
            ],
        ),
    )
    status = "Reporting-MTA: dns; mx.compound.example\n\nFinal-Recipient: rfc822; nobody@acme.example\nAction: failed\nStatus: 5.1.1\n"
    add(
        "delivery-status-bounce",
        message(
            top(
                sender="Mail Delivery System <MAILER-DAEMON@mx.compound.example>",
                subject="Undelivered Mail Returned to Sender",
                message_id=mid.format("dsn"),
                extra=[("Auto-Submitted", "auto-replied")],
            ),
            multipart(
                "report; report-type=delivery-status",
                [
                    text_part(
                        "The mail system could not deliver your message to nobody@acme.example.\n"
                    ),
                    Entity((("Content-Type", "message/delivery-status"),), status.encode()),
                    Entity(
                        (("Content-Type", "text/rfc822-headers"),),
                        b"From: ana@compound.example\nSubject: Hello\n",
                    ),
                ],
                "dsn-b",
            ),
        ),
        expect(
            sender="mailer-daemon@mx.compound.example",
            subject="Undelivered Mail Returned to Sender",
            phrase="could not deliver your message",
            clean=True,
            auto_submitted=True,
            attachments=[
                {
                    "filename": None,
                    "content_type": "message/delivery-status",
                    "contains": "Status: 5.1.1",
                },
                {
                    "filename": None,
                    "content_type": "text/rfc822-headers",
                    "contains": "Subject: Hello",
                },
            ],
        ),
    )
    long_subject = "Re: Re: Fwd:\tMeeting\n about the\n  robots\x07 and more"
    add(
        "folded-subject-with-controls",
        message(top(subject=long_subject, message_id=mid.format("fold")), text_part(ASK)),
        expect(subject="Re: Re: Fwd: Meeting about the robots and more", phrase=PHRASE),
    )
    add(
        "mbox-from-line",
        message(
            top(message_id=mid.format("mbox")),
            text_part(ASK),
            prefix=b"From ana@northwind-robotics.example Tue Mar  5 09:14:00 2024\r\n",
        ),
        expect(phrase=PHRASE, clean=True),
    )
    add(
        "leading-blank-lines-and-bom",
        message(top(message_id=mid.format("bom")), text_part(ASK), prefix=b"\xef\xbb\xbf\r\n\r\n"),
        expect(phrase=PHRASE, defects=["byte order mark", "blank lines"]),
    )
    add(
        "blank-before-colon",
        message(top(message_id=mid.format("obs")), text_part(ASK)).replace(
            b"Subject: ", b"Subject : "
        ),
        expect(phrase=PHRASE, defects=["colon"]),
    )
    missing_semicolon = message(
        top(subject="Missing semicolon", message_id=mid.format("semicolon")),
        multipart(
            "mixed",
            [
                text_part("The text before the file.\n"),
                attachment("notes.pdf", "application/pdf", quote),
            ],
            "semi-b",
        ),
    ).replace(b'multipart/mixed; boundary="semi-b"', b'multipart/mixed\r\n\tboundary="semi-b"')
    add(
        "boundary-without-semicolon",
        missing_semicolon,
        expect(
            subject="Missing semicolon",
            phrase="The text before the file.",
            defects=["boundary"],
            attachments=[
                {"filename": "notes.pdf", "content_type": "application/pdf", "size": len(quote)}
            ],
        ),
    )
    add(
        "truncated-multipart",
        message(
            top(subject="Truncated", message_id=mid.format("truncated")),
            multipart(
                "mixed",
                [
                    text_part("This part arrived whole.\n"),
                    Entity((("Content-Type", "text/plain"),), b"This one was cut off mid-"),
                ],
                "trunc-b",
                close=False,
            ),
        ),
        expect(
            subject="Truncated",
            phrase="This part arrived whole.",
            also=["cut off mid-"],
            defects=["boundary"],
        ),
    )
    add(
        "multipart-without-boundary",
        message(
            top(subject="No boundary", message_id=mid.format("noboundary")),
            Entity(
                (("Content-Type", "multipart/mixed"),),
                b"Just some text in a multipart without a boundary.\n",
            ),
        ),
        expect(subject="No boundary", phrase="Just some text in a multipart", defects=["boundary"]),
    )
    add(
        "ascii-declared-utf8-body",
        message(
            top(subject="Mislabelled", message_id=mid.format("mislabel")),
            Entity(
                (
                    ("Content-Type", "text/plain; charset=us-ascii"),
                    ("Content-Transfer-Encoding", "8bit"),
                ),
                "Déjà vu: the charset says ASCII.\n".encode(),
            ),
        ),
        expect(
            subject="Mislabelled", phrase="Déjà vu: the charset says ASCII.", defects=["us-ascii"]
        ),
    )
    add(
        "invalid-utf8-bytes",
        message(
            top(subject="Invalid UTF-8", message_id=mid.format("bad-utf8")),
            Entity(
                (
                    ("Content-Type", "text/plain; charset=utf-8"),
                    ("Content-Transfer-Encoding", "8bit"),
                ),
                b"Before \xff\xfe after.\n",
            ),
        ),
        expect(subject="Invalid UTF-8", phrase="after.", defects=["invalid utf-8"]),
    )
    add(
        "no-charset-8bit-latin1",
        message(
            top(subject="No charset", message_id=mid.format("nocharset")),
            Entity(
                (("Content-Type", "text/plain"), ("Content-Transfer-Encoding", "8bit")),
                b"Caf\xe9 au lait.\n",
            ),
        ),
        expect(subject="No charset", phrase="Café au lait.", defects=["windows-1252"]),
    )
    tnef = b"\x78\x9f\x3e\x22" + bytes(range(256))
    add(
        "winmail-dat",
        message(
            top(sender="Bo Berg <bo@acme.example>", message_id=mid.format("tnef")),
            multipart(
                "mixed",
                [
                    text_part("See attached.\n"),
                    attachment("winmail.dat", "application/ms-tnef", tnef),
                ],
                "tnef-b",
            ),
        ),
        expect(
            sender="bo@acme.example",
            phrase="See attached.",
            clean=True,
            attachments=[
                {
                    "filename": "winmail.dat",
                    "content_type": "application/ms-tnef",
                    "size": len(tnef),
                }
            ],
        ),
    )
    notes = "Agenda:\n1. Demo\n2. Pricing\n"
    add(
        "named-text-attachment",
        message(
            top(message_id=mid.format("txt")),
            multipart(
                "mixed",
                [text_part(ASK), attachment("agenda.txt", "text/plain", notes.encode())],
                "txt-b",
            ),
        ),
        expect(
            phrase=PHRASE,
            clean=True,
            text_lacks=["Agenda:"],
            attachments=[
                {"filename": "agenda.txt", "content_type": "text/plain", "size": len(notes)}
            ],
        ),
    )
    add(
        "html-script-and-entities",
        message(
            top(subject="Entities", message_id=mid.format("entities")),
            text_part(
                "<html><head><script>var secret = 1;</script></head><body>"
                "<p>Fish &amp; chips &lt;3 &eacute;t&eacute; &#8364;5</p>"
                "<ul><li>First point</li><li>Second point</li></ul>"
                '<p>Visit <a href="https://northwind-robotics.example/demo">our demo page</a>.</p>'
                "<script>alert('x')</script></body></html>",
                subtype="html",
            ),
        ),
        expect(
            subject="Entities",
            phrase="Fish & chips <3 été €5",
            also=[
                "- First point",
                "- Second point",
                "our demo page (https://northwind-robotics.example/demo)",
            ],
            text_lacks=["secret", "alert"],
            clean=True,
            html=True,
        ),
    )
    add(
        "attachment-only",
        message(
            top(subject="Scan", message_id=mid.format("scan")),
            attachment("scan.pdf", "application/pdf", quote),
        ),
        expect(
            subject="Scan",
            phrase="",
            clean=True,
            attachments=[
                {"filename": "scan.pdf", "content_type": "application/pdf", "size": len(quote)}
            ],
        ),
    )
    add(
        "duplicate-subject",
        message(
            top(message_id=mid.format("dup"), extra=[("Subject", "A second subject")]),
            text_part(ASK),
        ),
        expect(phrase=PHRASE, defects=["Subject: 2 headers"]),
    )
    nested: Entity = text_part("Deep inside twenty-five multiparts.\n")
    for level in range(25):
        nested = multipart("mixed", [nested], f"deep-{level}")
    add(
        "deeply-nested",
        message(top(subject="Deep", message_id=mid.format("deep")), nested),
        expect(subject="Deep", phrase="Deep inside twenty-five multiparts.", clean=True),
    )
    add(
        "apple-mail-forward-inline",
        message(
            top(subject="Fwd: Lead from the fair", message_id=mid.format("apple-fwd")),
            text_part(
                "FYI\n\nBegin forwarded message:\n\nFrom: Carl Stone <carl@acme.example>\n"
                "Subject: Lead from the fair\nDate: 4 March 2024 at 17:02:11 CET\n\nWe need 40 robots for our Leipzig site.\n"
            ),
        ),
        expect(
            subject="Fwd: Lead from the fair",
            phrase="We need 40 robots for our Leipzig site.",
            clean=True,
        ),
    )
    add(
        "uuencoded-attachment",
        message(
            top(subject="Old client", message_id=mid.format("uu")),
            multipart(
                "mixed",
                [
                    text_part("Old-style attachment below.\n"),
                    Entity(
                        (
                            ("Content-Type", 'application/octet-stream; name="hello.txt"'),
                            ("Content-Transfer-Encoding", "x-uuencode"),
                            ("Content-Disposition", 'attachment; filename="hello.txt"'),
                        ),
                        b"begin 644 hello.txt\n" + binascii.b2a_uu(b"hello world\n") + b"`\nend\n",
                    ),
                ],
                "uu-b",
            ),
        ),
        expect(
            subject="Old client",
            phrase="Old-style attachment below.",
            clean=True,
            attachments=[
                {"filename": "hello.txt", "content_type": "application/octet-stream", "size": 12}
            ],
        ),
    )
    many = ", ".join(f"Person {n} <person{n}@acme.example>" for n in range(60))
    add(
        "many-recipients",
        message(top(to=many, message_id=mid.format("many")), text_part(ASK)),
        expect(phrase=PHRASE, clean=True, to_count=60),
    )
    add(
        "path-in-filename",
        message(
            top(subject="Path", message_id=mid.format("path")),
            multipart(
                "mixed",
                [
                    text_part("A file with a path in its name.\n"),
                    attachment(
                        "report.pdf",
                        "application/pdf",
                        quote,
                        name_header="../../tmp/report.pdf",
                    ),
                ],
                "path-b",
            ),
        ),
        expect(
            subject="Path",
            phrase="path in its name",
            clean=True,
            attachments=[
                {"filename": "report.pdf", "content_type": "application/pdf", "size": len(quote)}
            ],
        ),
    )
    add(
        "sender-without-domain",
        message(top(sender="Postmaster", message_id=mid.format("nodomain")), text_part(ASK)),
        expect(
            sender="Postmaster",
            sender_valid=False,
            phrase=PHRASE,
            defects=["From: invalid address"],
        ),
    )
    add(
        "sender-broken-syntax",
        message(
            top(
                sender="Ana Lima ana.lima@northwind-robotics.example",
                message_id=mid.format("brokenfrom"),
            ),
            text_part(ASK),
        ),
        expect(
            sender="ana.lima@northwind-robotics.example",
            sender_name="Ana Lima",
            phrase=PHRASE,
            defects=["broken syntax"],
        ),
    )
    add(
        "empty-plain-alternative",
        message(
            top(subject="Empty plain part", message_id=mid.format("emptyplain")),
            multipart(
                "alternative",
                [
                    text_part(""),
                    text_part("<p>Only the <i>HTML</i> has words.</p>", subtype="html"),
                ],
                "ep-b",
            ),
        ),
        expect(
            subject="Empty plain part", phrase="Only the HTML has words.", clean=True, html=True
        ),
    )
    return found


# -- the 10 MB attachment ------------------------------------------------------------------

LARGE_ATTACHMENT_BYTES = 10 * 1024 * 1024


def large_attachment_message() -> tuple[bytes, dict[str, Any]]:
    """A message with a 10 MB attachment, built when a test needs it (never committed)."""
    block = bytes(range(256)) * 4
    content = (block * (LARGE_ATTACHMENT_BYTES // len(block) + 1))[:LARGE_ATTACHMENT_BYTES]
    raw = message(
        envelope(subject="Site survey video", message_id="<large@northwind-robotics.example>"),
        multipart(
            "mixed",
            [
                text_part("The survey video is attached.\n"),
                attachment("survey.bin", "application/octet-stream", content),
            ],
            "large-b",
        ),
    )
    expected = expect(
        subject="Site survey video",
        phrase="survey video is attached",
        clean=True,
        attachments=[
            {
                "filename": "survey.bin",
                "content_type": "application/octet-stream",
                "size": len(content),
            }
        ],
    )
    return raw, expected


def write(target: Path = HERE, selected: Callable[[Case], bool] = lambda case: True) -> list[Path]:
    written = []
    key: dict[str, Any] = {}
    for number, case in enumerate(cases(), start=1):
        if not selected(case):
            continue
        path = target / f"{number:03d}-{case.name}.eml"
        path.write_bytes(case.raw)
        key[path.name] = case.expected
        written.append(path)
    (target / ANSWER_KEY).write_text(
        json.dumps(key, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    )
    return written


if __name__ == "__main__":
    paths = write(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
    print(f"wrote {len(paths)} messages and {ANSWER_KEY}")
