"""What an inbound email is before its words count: automatic mail never acts nor gets an
answer (RFC 3834 section 5: answering it makes mail loops), the sender is one address, the
receiving server's Authentication-Results (RFC 8601) say the From domain was not spoofed, and
our own address is found in the recipient headers in the order Zulip's email mirror uses.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from email.message import Message
from email.utils import getaddresses

import authres  # type: ignore[import-untyped]


def automatic_reason(message: Message) -> str | None:
    """Why `message` must never act nor get an answer (auto-reply, bounce, list or bulk
    mail), in words for the log; None for mail a person wrote."""
    for check in (_report, _auto_submitted, _auto_headers, _precedence, _list, _daemon, _oof):
        reason = check(message)
        if reason is not None:
            return reason
    return None


def calendar_reason(message: Message) -> str | None:
    """Why `message` is calendar mail (an iMIP REPLY or CANCEL, Google's or Exchange's
    "Declined: ..." notice): such mail is the calendar's to read for facts and, like
    automatic mail, never acts as a command nor gets an answer, since its words are a
    calendar's. None for mail without a calendar part."""
    for part in message.walk():
        if is_calendar_part(part):
            method = str(part.get_param("method") or "").strip().upper()
            kind = part.get_content_type() + (f"; method={method}" if method else "")
            return f"a calendar message ({kind}), read for calendar replies only"
    return None


def is_calendar_part(part: Message) -> bool:
    """A calendar in a message: text/calendar, application/ics, or a file named *.ics."""
    if part.get_content_type() in ("text/calendar", "application/ics"):
        return True
    filename = part.get_filename() or ""
    return part.get_content_maintype() != "multipart" and filename.lower().endswith(".ics")


def sender_addresses(message: Message) -> list[str]:
    """The addresses of every From header, lower-case; a caller acts only on exactly one."""
    return _addresses(message, ("From",))


def authentication_passes(
    message: Message, *, trusted_authserv_ids: Collection[str]
) -> bool | None:
    """Whether the From domain was authenticated, by the topmost Authentication-Results
    header whose authserv-id is trusted (RFC 8601 section 5: anyone upstream can add such a
    header, so only our own receiving servers' count): True for dmarc=pass, or dkim=pass with
    a d= aligned to the From domain; False otherwise, and for dmarc=fail; None when no header
    comes from a trusted authserv-id."""
    trusted = {server.lower() for server in trusted_authserv_ids}
    senders = sender_addresses(message)
    domain = senders[0].rpartition("@")[2] if len(senders) == 1 else ""
    for value in message.get_all("Authentication-Results") or []:
        raw = " ".join(str(value).split())
        try:
            header = authres.AuthenticationResultsHeader.parse_value(raw)
        except authres.AuthResError:
            if raw.split(";")[0].split(" ")[0].lower() in trusted:
                return False  # our own server's verdict, unreadable: fail closed
            continue
        if str(header.authserv_id).lower() in trusted:
            return _passes(header.results, domain)
    return None


def recipient_addresses(message: Message) -> list[str]:
    """Our own address candidates, lower-case, in Zulip's order: forwarders and groups rewrite
    To, while the delivery headers keep the address the mail was sent to."""
    return _addresses(message, _RECIPIENT_HEADERS)


_RECIPIENT_HEADERS = (
    "X-Original-To",
    "Original-To",
    "X-Gm-Original-To",
    "Delivered-To",
    "Envelope-To",
    "Resent-To",
    "Resent-Cc",
    "To",
    "Cc",
)
_OOF_ANYWHERE = re.compile(
    r"out of (?:the )?office|automatic reply|auto[- ]?reply|autoreply|automatische antwort|"
    r"abwesenheitsnotiz|réponse automatique|reponse automatique|message d'absence|"
    r"respuesta automática|respuesta automatica|fuera de la oficina|risposta automatica",
    re.I,
)
_OOF_OPENING = re.compile(r"^\s*(?:auto|absence|absent|abwesend|ausente|ooo)\s*[:：]", re.I)
_DAEMONS = ("mailer-daemon", "postmaster")


def _report(message: Message) -> str | None:
    if message.get_content_type() != "multipart/report":
        return None
    kind = str(message.get_param("report-type") or "").lower()
    what = {"delivery-status": "bounce", "disposition-notification": "read receipt"}
    return f"{what.get(kind, 'automatic report')} (multipart/report; report-type={kind})"


def _auto_submitted(message: Message) -> str | None:
    value = str(message.get("Auto-Submitted") or "").split(";")[0].strip().lower()
    if not value or value == "no":
        return None
    kind = "auto-reply" if value == "auto-replied" else "automatic mail"
    return f"{kind} (Auto-Submitted: {value})"


def _auto_headers(message: Message) -> str | None:
    for name in ("X-Autoreply", "X-Autorespond", "X-Autogenerated"):
        if name in message:
            return f"auto-reply ({name}: {str(message[name]).strip()[:20]})"
    suppress = str(message.get("X-Auto-Response-Suppress") or "")
    flags = {flag.strip().lower() for flag in suppress.split(",")}
    if flags & {"all", "oof"}:
        return f"auto-reply (X-Auto-Response-Suppress: {suppress.strip()[:40]})"
    return None


def _precedence(message: Message) -> str | None:
    value = str(message.get("Precedence") or "").strip().lower()
    what = {"bulk": "bulk mail", "junk": "bulk mail", "list": "mailing list"}
    if value in what or value == "auto_reply":
        return f"{what.get(value, 'auto-reply')} (Precedence: {value})"
    return None


def _list(message: Message) -> str | None:
    for name in ("List-Id", "List-Unsubscribe"):
        if name in message:
            return f"mailing list ({name})"
    return None


def _daemon(message: Message) -> str | None:
    return_path = str(message.get("Return-Path") or "").strip()
    if return_path and not return_path.strip("<> "):
        return "bounce (empty Return-Path <>)"
    for address in _addresses(message, ("From", "Sender", "Return-Path")):
        if address.partition("@")[0] in _DAEMONS:
            return f"bounce (sent by {address.partition('@')[0]})"
    return None


def _oof(message: Message) -> str | None:
    subject = " ".join(str(message.get("Subject") or "").split())
    if _OOF_ANYWHERE.search(subject) or _OOF_OPENING.match(subject):
        return f"out-of-office reply (Subject: {subject[:60]!r})"
    return None


def _addresses(message: Message, names: Collection[str]) -> list[str]:
    found: list[str] = []
    for name in names:
        for value in message.get_all(name) or []:
            parsed = getattr(value, "addresses", None)
            if parsed is not None:
                pairs = [address.addr_spec for address in parsed]
            else:
                pairs = [address for _, address in getaddresses([str(value)])]
            for address in pairs:
                address = address.strip().lower()
                local, at, domain = address.rpartition("@")
                if at and local and domain and address not in found:
                    found.append(address)
    return found


def _passes(results: list[object], domain: str) -> bool:
    verdicts = [
        (str(getattr(r, "method", "")).lower(), str(getattr(r, "result", "")).lower(), r)
        for r in results
    ]
    for method, result, r in verdicts:
        if method == "dmarc" and _property(r, "from") in ("", domain):
            if result == "fail":
                return False
            if result == "pass" and domain:
                return True
    for method, result, r in verdicts:
        signer = _property(r, "d") or _property(r, "i").rpartition("@")[2]
        if method == "dkim" and result == "pass" and domain and _aligned(signer, domain):
            return True
    return False


def _property(result: object, name: str) -> str:
    for prop in getattr(result, "properties", []):
        if getattr(prop, "type", "") == "header" and getattr(prop, "name", "") == name:
            return str(getattr(prop, "value", "")).lower()
    return ""


def _aligned(signer: str, domain: str) -> bool:
    """DMARC's relaxed alignment (RFC 7489 section 3.1.1), approximated without the public
    suffix list: the same domain, or one a subdomain of the other."""
    if "." not in signer:
        return False
    return signer == domain or domain.endswith("." + signer) or signer.endswith("." + domain)
