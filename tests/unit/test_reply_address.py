from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduler.replies.address import MAX_LOCAL_PART, reply_address, tag_from_address

MAILBOX = "mentoring@example.com"
SECRET = b"a secret only the program knows"


def test_a_reply_address_leads_back_to_its_pair() -> None:
    address = reply_address(MAILBOX, "p7k2m9q4", SECRET)
    assert address.startswith("mentoring+p7k2m9q4.")
    assert address.endswith("@example.com")
    assert tag_from_address(address, MAILBOX, SECRET) == "p7k2m9q4"


def test_the_token_is_twelve_lower_case_base32_characters() -> None:
    token = reply_address(MAILBOX, "p7k2m9q4", SECRET).split("@")[0].rsplit(".", 1)[1]
    assert len(token) == 12
    assert set(token) <= set("abcdefghijklmnopqrstuvwxyz234567")


def test_the_same_pair_and_secret_always_give_the_same_address() -> None:
    assert reply_address(MAILBOX, "p1", SECRET) == reply_address(MAILBOX, "p1", SECRET)


def test_a_tampered_token_is_rejected() -> None:
    address = reply_address(MAILBOX, "p7k2m9q4", SECRET)
    local, domain = address.split("@")
    flipped = "a" if local[-1] != "a" else "b"
    assert tag_from_address(f"{local[:-1]}{flipped}@{domain}", MAILBOX, SECRET) is None


def test_one_pairs_token_does_not_open_another_pair() -> None:
    token = reply_address(MAILBOX, "p1", SECRET).split("@")[0].rsplit(".", 1)[1]
    assert tag_from_address(f"mentoring+p2.{token}@example.com", MAILBOX, SECRET) is None


def test_an_address_made_with_another_secret_is_rejected() -> None:
    address = reply_address(MAILBOX, "p1", b"another secret")
    assert tag_from_address(address, MAILBOX, SECRET) is None


def test_an_address_on_another_domain_or_mailbox_is_rejected() -> None:
    tag = reply_address(MAILBOX, "p1", SECRET).split("@")[0].removeprefix("mentoring")
    assert tag_from_address(f"mentoring{tag}@evil.example", MAILBOX, SECRET) is None
    assert tag_from_address(f"mentors{tag}@example.com", MAILBOX, SECRET) is None


@pytest.mark.parametrize(
    "address",
    [MAILBOX, "someone@example.com", "mentoring+@example.com", "mentoring+p1@example.com", "", "x"],
)
def test_addresses_that_are_not_reply_addresses_give_no_pair(address: str) -> None:
    assert tag_from_address(address, MAILBOX, SECRET) is None


def test_an_upper_cased_address_still_leads_to_its_pair() -> None:
    address = reply_address(MAILBOX, "p7k2m9q4", SECRET).upper()
    assert tag_from_address(address, MAILBOX, SECRET) == "p7k2m9q4"
    assert tag_from_address(address, "Mentoring@EXAMPLE.com", SECRET) == "p7k2m9q4"


@pytest.mark.parametrize("separator", [".", "-"])
def test_a_gateway_that_rewrites_the_plus_sign_is_tolerated(separator: str) -> None:
    # Google Groups and some forwarders drop or rewrite "+" (zerver/lib/email_mirror_helpers.py).
    address = reply_address(MAILBOX, "p7k2m9q4", SECRET).replace("+", separator)
    assert tag_from_address(address, MAILBOX, SECRET) == "p7k2m9q4"


def test_a_display_name_around_the_address_is_tolerated() -> None:
    address = reply_address(MAILBOX, "p7k2m9q4", SECRET)
    assert tag_from_address(f'"Peer Circles" <{address}>', MAILBOX, SECRET) == "p7k2m9q4"


def test_a_local_part_over_64_characters_is_refused_with_a_hint() -> None:
    with pytest.raises(ValueError, match="64"):
        reply_address("m" * 40 + "@example.com", "p" * 20, SECRET)


def test_a_local_part_of_exactly_64_characters_is_allowed() -> None:
    pair_id = "p" * (MAX_LOCAL_PART - len("mentoring+") - len(".") - 12)
    address = reply_address(MAILBOX, pair_id, SECRET)
    assert len(address.split("@")[0]) == MAX_LOCAL_PART
    assert tag_from_address(address, MAILBOX, SECRET) == pair_id


@pytest.mark.parametrize("pair_id", ["P7K2", "p7 k2", "p7.k2", "", "p+1"])
def test_a_pair_id_that_would_not_survive_a_gateway_is_refused(pair_id: str) -> None:
    with pytest.raises(ValueError, match="pair id"):
        reply_address(MAILBOX, pair_id, SECRET)


def test_an_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="secret"):
        reply_address(MAILBOX, "p1", b"")


def test_a_mailbox_that_is_not_an_address_is_refused() -> None:
    with pytest.raises(ValueError, match="not an email address"):
        reply_address("mentoring", "p1", SECRET)


@given(
    pair_id=st.from_regex(r"[a-z0-9][a-z0-9_-]{0,30}", fullmatch=True), secret=st.binary(min_size=1)
)
def test_every_valid_pair_id_round_trips(pair_id: str, secret: bytes) -> None:
    assert tag_from_address(reply_address(MAILBOX, pair_id, secret), MAILBOX, secret) == pair_id
