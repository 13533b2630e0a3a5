"""Reply addresses on the program mailbox, one per pair and one per person, signed so that
nobody can guess another's address and steer it: "mentoring+<tag>.<token>@example.com", where
the tag is a pair's id ("p7k2m9q4x") or, for the emails that ask a person whether to take part,
the person's tag ("u3f9a1c2d0", see `person_tag`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from email.utils import parseaddr

TOKEN_LENGTH = 12
"""Base32 characters of HMAC-SHA256 kept: 60 bits, short enough for the 64-character local
part (RFC 5321 section 4.5.3.1.1), long enough that guessing by mail is hopeless."""

MAX_LOCAL_PART = 64

# Separators accepted between the mailbox's local part and the tag. Tandem writes "+";
# Google Groups and some forwarders drop or rewrite it, as Zulip's email mirror notes
# (zerver/lib/email_mirror_helpers.py), so "." and "-" are read as well.
_SEPARATORS = "+.-"
_PAIR_ID = re.compile(r"[a-z0-9][a-z0-9_-]*")


def reply_address(mailbox: str, pair_id: str, secret: bytes) -> str:
    """The address a pair replies to, e.g. "mentoring+p7k2m9q4.k3j9x0a1b2c3@example.com".

    Raises:
        ValueError: the mailbox is not an address, the pair id could not survive a gateway that
            changes case (it must be lower-case letters, digits, "_" or "-"), the secret is
            empty, or the local part would exceed 64 characters.
    """
    local, domain = _split(mailbox)
    if not _PAIR_ID.fullmatch(pair_id):
        raise ValueError(f"pair id {pair_id!r} must be lower-case letters, digits, '_' or '-'")
    tagged = f"{local}+{pair_id}.{_token(pair_id, secret)}"
    if len(tagged) > MAX_LOCAL_PART:
        raise ValueError(
            f"reply address local part {tagged!r} is {len(tagged)} characters; the limit is "
            f"{MAX_LOCAL_PART}: use a shorter mailbox name or shorter pair ids"
        )
    return f"{tagged}@{domain}"


def person_tag(email: str) -> str:
    """The tag that names a person in a reply address: "u" and 9 characters of a hash of
    their address (not the address itself, which the tag must not show)."""
    digest = hashlib.sha256(email.strip().lower().encode()).digest()
    return "u" + base64.b32encode(digest).decode("ascii")[:9].lower()


def is_person_tag(tag: str) -> bool:
    """Whether a tag names a person (pair ids start with "p")."""
    return tag.startswith("u")


def tag_from_address(address: str, mailbox: str, secret: bytes) -> str | None:
    """The tag (a pair id or a person's tag) an address was made for, or None when the
    address is not a reply address of this mailbox or its token does not verify. Case is
    ignored throughout, since some gateways upper-case addresses; a display name around the
    address is tolerated."""
    _, bare = parseaddr(address)
    try:
        local, domain = _split(bare.lower())
        own_local, own_domain = _split(mailbox.lower())
    except ValueError:
        return None
    prefix_length = len(own_local) + 1
    if domain != own_domain or len(local) <= prefix_length:
        return None
    if not local.startswith(own_local) or local[len(own_local)] not in _SEPARATORS:
        return None
    pair_id, dot, token = local[prefix_length:].rpartition(".")
    if not dot or not _PAIR_ID.fullmatch(pair_id):
        return None
    if not hmac.compare_digest(token, _token(pair_id, secret)):
        return None
    return pair_id


def _token(pair_id: str, secret: bytes) -> str:
    if not secret:
        raise ValueError("the reply-address secret is empty")
    digest = hmac.digest(secret, pair_id.encode(), hashlib.sha256)
    return base64.b32encode(digest).decode("ascii")[:TOKEN_LENGTH].lower()


def _split(address: str) -> tuple[str, str]:
    local, at, domain = address.strip().rpartition("@")
    if not at or not local or not domain or any(c.isspace() for c in address.strip()):
        raise ValueError(f"{address!r} is not an email address")
    return local, domain
