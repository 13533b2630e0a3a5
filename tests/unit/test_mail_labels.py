"""Names in people's words for what Tandem writes: the summary of a mail and the file names of
the outbox's .eml copies and the preview's folders, readable in any alphabet and safe on any
file system (issue 9, item 8)."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

import pytest

from scheduler.core.message_ids import make_message_id
from scheduler.render.kits import Rendered, build_email
from scheduler.render.labels import (
    MAX_NAME_BYTES,
    eml_name,
    kind_words,
    mail_label,
    readable_name,
)

WHEN = datetime(2026, 12, 1, 9, tzinfo=UTC)


def raw_mail(key: str, *names: str) -> tuple[str, bytes]:
    message_id = make_message_id(key, "example.com")
    message = build_email(
        Rendered("s", "t", "<p>h</p>"),
        sender_name="Peer Circles",
        sender="mentoring@example.com",
        to=[(name, f"peer{n}@example.com") for n, name in enumerate(names)],
        reply_to="mentoring@example.com",
        message_id=message_id,
        date=WHEN,
    )
    return message_id, message.as_bytes()


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("kit:p7k2m9q4", "launch kit"),
        ("paused:p7k2m9q4:mail:3", "paused note"),
        ("skip:p7k2m9q4:cli:2027-01-05T12:00:00+00:00", "confirmation"),
        ("digest:2027-W06", "owner's digest"),
        ("invite:p7k2m9q4-2-0:1", "invitation 2"),
        ("cancel:p7k2m9q4-1-1:2", "cancellation 1"),
        ("owner-ended:p7k2m9q4:mail:9", "note to the owner"),
        ("something-new:x", "something-new"),
    ],
)
def test_each_kind_of_mail_has_words(key: str, words: str) -> None:
    assert kind_words(key) == words


def test_a_mail_is_summed_up_by_its_kind_and_its_readers() -> None:
    _, raw = raw_mail("kit:p1", "Ana Lima", "Bo Chen")
    assert mail_label("kit:p1", raw) == "launch kit to Ana Lima & Bo Chen"


def test_an_eml_copy_is_named_by_day_kind_and_pair_with_a_short_stable_hash() -> None:
    message_id, raw = raw_mail("kit:p1", "Ana Lima", "Bo Chen")
    name = eml_name("kit:p1", message_id, raw)
    assert name.startswith("2026-12-01 launch kit - Ana Lima & Bo Chen - ")
    assert name.endswith(".eml") and len(name) == len(
        "2026-12-01 launch kit - Ana Lima & Bo Chen - 123456.eml"
    )
    assert eml_name("kit:p1", message_id, raw) == name, "the same mail, the same name"
    other_id, other = raw_mail("kit:p2", "Ana Lima", "Bo Chen")
    assert eml_name("kit:p2", other_id, other) != name, "two mails to one pair, two names"


def test_names_in_any_alphabet_stay_readable() -> None:
    message_id, raw = raw_mail("kit:p1", "李雷", "Анна Петрова", "Zoë Ōkubo")
    assert " - 李雷 & Анна Петрова & Zoë Ōkubo - " in eml_name("kit:p1", message_id, raw)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ana/Bo: notes", "Ana_Bo_ notes"),
        ('a\\b*c?d"e<f>g|h', "a_b_c_d_e_f_g_h"),
        ("Ana\tLima\r\nBcc: x", "Ana Lima Bcc_ x"),
        ("Ana\u202e\u200bLima", "AnaLima"),  # bidi and zero-width characters are invisible tricks
        ("..hidden.. ", "hidden"),
        ("Zoe\u0308", "Zoë"),  # NFC: one name on every machine
        ("", "mail"),
        ("///", "___"),
    ],
)
def test_a_name_is_safe_on_every_file_system(text: str, expected: str) -> None:
    name = readable_name(text)
    assert name == expected
    assert unicodedata.is_normalized("NFC", name)


def test_a_long_name_is_cut_to_fit_in_bytes_not_characters() -> None:
    names = " & ".join(["李雷李雷李雷李雷李雷"] * 30)
    message_id, raw = raw_mail("kit:p1", *names.split(" & "))
    name = eml_name("kit:p1", message_id, raw)
    assert len(name.encode()) <= MAX_NAME_BYTES < 255
    assert name.startswith("2026-12-01 launch kit - 李雷李雷") and name.endswith(".eml")
