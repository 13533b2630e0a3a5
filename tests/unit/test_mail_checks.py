"""Automatic mail is recognised by its headers (RFC 3834) and subjects in four languages, the
sender is read from From alone, Authentication-Results (RFC 8601) count only from trusted
servers, and our own address is looked for in Zulip's order of recipient headers."""

from __future__ import annotations

from email import message_from_string
from email.message import EmailMessage
from email.policy import default

import pytest

from scheduler.replies.mail_checks import (
    authentication_passes,
    automatic_reason,
    recipient_addresses,
    sender_addresses,
)

TRUSTED = {"mx.northwind.example", "mx.google.com"}


def mail(subject: str = "Re: Ana and Bo, meet each other", **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = headers.pop("From", "Ana Lima <ana.lima@northwind.example>")
    message["To"] = "mentoring+p7k2m9q4.k3j9x0a1b2c3@northwind.example"
    message["Subject"] = subject
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content("pause")
    return message


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Auto-Submitted": "auto-replied"}, "auto-reply (Auto-Submitted: auto-replied)"),
        ({"Auto-Submitted": "auto-generated"}, "automatic mail (Auto-Submitted: auto-generated)"),
        ({"Auto-Submitted": "auto-notified; owner-email=x@y"}, "automatic mail (Auto-Submitted"),
        ({"X-Autoreply": "yes"}, "auto-reply (X-Autoreply: yes)"),
        ({"X-Autorespond": "vacation"}, "auto-reply (X-Autorespond: vacation)"),
        ({"X-Auto-Response-Suppress": "All"}, "auto-reply (X-Auto-Response-Suppress: All)"),
        ({"X-Auto-Response-Suppress": "DR, OOF"}, "auto-reply (X-Auto-Response-Suppress: DR"),
        ({"Precedence": "bulk"}, "bulk mail (Precedence: bulk)"),
        ({"Precedence": "junk"}, "bulk mail (Precedence: junk)"),
        ({"Precedence": "list"}, "mailing list (Precedence: list)"),
        ({"Precedence": "auto_reply"}, "auto-reply (Precedence: auto_reply)"),
        ({"List-Id": "<mentors.lists.example>"}, "mailing list (List-Id)"),
        ({"List-Unsubscribe": "<mailto:leave@lists.example>"}, "mailing list (List-Unsubscribe)"),
        ({"Return-Path": "<>"}, "bounce (empty Return-Path <>)"),
        ({"From": "Mail Delivery System <MAILER-DAEMON@mx.example>"}, "bounce (sent by mailer"),
        ({"From": "postmaster@mx.example"}, "bounce (sent by postmaster)"),
    ],
)
def test_automatic_mail_is_recognised_by_its_headers(headers: dict[str, str], reason: str) -> None:
    found = automatic_reason(mail(**{k.replace("-", "_"): v for k, v in headers.items()}))
    assert found is not None and found.startswith(reason), found


@pytest.mark.parametrize(
    "subject",
    [
        "Out of Office: Ana and Bo, meet each other",
        "Automatic reply: Ana and Bo, meet each other",
        "Autoreply: Ana and Bo",
        "Auto-reply: Ana and Bo",
        "Auto: Ana and Bo",
        "Abwesenheitsnotiz: Ana und Bo",
        "Automatische Antwort: Ana und Bo",
        "Absence : Ana et Bo",
        "Réponse automatique : Ana et Bo",
        "Respuesta automática: Lucía y Tomás",
        "Fuera de la oficina: Lucía y Tomás",
    ],
)
def test_out_of_office_subjects_are_recognised_in_each_language(subject: str) -> None:
    assert str(automatic_reason(mail(subject))).startswith("out-of-office reply (Subject:")


@pytest.mark.parametrize(
    ("subject", "headers"),
    [
        ("Re: Ana and Bo, meet each other", {}),
        ("Re: absence of Bo next week", {}),
        ("Re: auto insurance and our next chat", {}),
        ("Re: pause", {"Auto-Submitted": "no"}),
        ("Re: pause", {"Precedence": "first-class"}),
        ("Re: pause", {"X-Auto-Response-Suppress": "DR, RN, NRN"}),
        ("Re: pause", {"Return-Path": "<ana.lima@northwind.example>"}),
    ],
)
def test_mail_a_person_wrote_is_not_automatic(subject: str, headers: dict[str, str]) -> None:
    assert (
        automatic_reason(mail(subject, **{k.replace("-", "_"): v for k, v in headers.items()}))
        is None
    )


@pytest.mark.parametrize(
    ("report_type", "reason"),
    [
        ("delivery-status", "bounce (multipart/report; report-type=delivery-status)"),
        ("disposition-notification", "read receipt (multipart/report"),
    ],
)
def test_a_report_is_automatic(report_type: str, reason: str) -> None:
    message = EmailMessage()
    message["From"] = "Ana Lima <ana.lima@northwind.example>"
    message.set_content("Your message could not be delivered.")
    message.make_mixed()
    message.replace_header("Content-Type", f"multipart/report; report-type={report_type}")
    assert str(automatic_reason(message)).startswith(reason)


@pytest.mark.parametrize(
    ("froms", "expected"),
    [
        (["Ana Lima <Ana.Lima@Northwind.Example>"], ["ana.lima@northwind.example"]),
        (['"ceo@northwind.example" <mallory@evil.example>'], ["mallory@evil.example"]),
        (
            ["ana@northwind.example, bo@northwind.example"],
            ["ana@northwind.example", "bo@northwind.example"],
        ),
        (
            ["ana@northwind.example", "bo@northwind.example"],
            ["ana@northwind.example", "bo@northwind.example"],
        ),
        (["undisclosed-recipients:;"], []),
        (["not an address"], []),
        ([], []),
    ],
)
def test_the_sender_is_every_from_address(froms: list[str], expected: list[str]) -> None:
    raw = "".join(f"From: {value}\n" for value in froms) + "Subject: pause\n\npause\n"
    assert sender_addresses(message_from_string(raw, policy=default)) == expected


def test_recipients_come_in_zulip_s_order_without_repeats() -> None:
    message = EmailMessage()
    message["Cc"] = "cc@northwind.example"
    message["To"] = "Team <To@Northwind.example>, mentoring@northwind.example"
    message["Resent-Cc"] = "resent-cc@northwind.example"
    message["Resent-To"] = "resent-to@northwind.example"
    message["Envelope-To"] = "envelope@northwind.example"
    message["Delivered-To"] = "mentoring+p1.abc@northwind.example"
    message["Delivered-To"] = "mentoring@northwind.example"
    message["X-Original-To"] = "mentoring+p1.abc@northwind.example"
    assert recipient_addresses(message) == [
        "mentoring+p1.abc@northwind.example",
        "mentoring@northwind.example",
        "envelope@northwind.example",
        "resent-to@northwind.example",
        "resent-cc@northwind.example",
        "to@northwind.example",
        "cc@northwind.example",
    ]


def signed(*results: str, sender: str = "ana.lima@northwind.example") -> EmailMessage:
    message = mail(From=f"Ana Lima <{sender}>")
    for value in results:
        message["Authentication-Results"] = value
    return message


@pytest.mark.parametrize(
    ("results", "expected"),
    [
        (["mx.northwind.example; dmarc=pass header.from=northwind.example"], True),
        (["mx.northwind.example; dkim=pass header.d=northwind.example; dmarc=none"], True),
        (["mx.northwind.example; dkim=pass header.d=mail.northwind.example"], True),
        (["mx.northwind.example; dkim=pass header.i=@northwind.example header.s=s1"], True),
        (["MX.Northwind.Example; dmarc=pass header.from=northwind.example"], True),
        (["mx.google.com; dkim=pass header.d=northwind.example header.s=20230601"], True),
        (
            [
                "mx.northwind.example; dkim=pass header.d=northwind.example; dmarc=fail "
                "header.from=northwind.example"
            ],
            False,
        ),
        (
            [
                "mx.northwind.example; dkim=pass header.d=mailgun.org; spf=pass "
                "smtp.mailfrom=bounce.mailgun.org"
            ],
            False,
        ),
        (["mx.northwind.example; spf=pass smtp.mailfrom=northwind.example"], False),
        (["mx.northwind.example; none"], False),
        (["mx.northwind.example; dkim=pass header.d=example"], False),
        (["mx.northwind.example; dkim=fail header.d=northwind.example"], False),
        (["mx.northwind.example; this is not ;;; an Authentication-Results header"], False),
        (["mx.evil.example; dmarc=pass header.from=northwind.example"], None),
        (
            [
                "spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=northwind.example; dkim=pass "
                "(signature was verified) header.d=northwind.example;dmarc=pass action=none "
                "header.from=northwind.example;compauth=pass reason=100"
            ],
            None,
        ),
        ([], None),
        # the topmost trusted header counts; one added upstream by anyone does not
        (
            [
                "mx.evil.example; dmarc=pass header.from=northwind.example",
                "mx.northwind.example; dmarc=fail header.from=northwind.example",
            ],
            False,
        ),
        (
            [
                "mx.northwind.example; dmarc=fail header.from=northwind.example",
                "mx.northwind.example; dmarc=pass header.from=northwind.example",
            ],
            False,
        ),
    ],
)
def test_authentication_results_count_only_from_trusted_servers(
    results: list[str], expected: bool | None
) -> None:
    assert authentication_passes(signed(*results), trusted_authserv_ids=TRUSTED) is expected


def test_a_signature_of_another_domain_does_not_vouch_for_the_sender() -> None:
    results = "mx.northwind.example; dmarc=pass header.from=evil.example"
    message = signed(results, sender="ceo@northwind.example")
    assert authentication_passes(message, trusted_authserv_ids=TRUSTED) is False


def test_without_a_single_from_nothing_passes() -> None:
    raw = (
        "Authentication-Results: mx.northwind.example; dkim=pass header.d=northwind.example\n"
        "From: ana.lima@northwind.example\nFrom: bo@northwind.example\n\npause\n"
    )
    message = message_from_string(raw, policy=default)
    assert authentication_passes(message, trusted_authserv_ids=TRUSTED) is False
