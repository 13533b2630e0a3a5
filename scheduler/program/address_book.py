"""The directory's addresses, for "did you mean" on a mistyped address."""

from __future__ import annotations

import difflib
from collections.abc import Mapping

CLOSE = 0.8  # difflib ratio from which a known value is offered as "did you mean"


class AddressBook:
    """The directory's addresses, for "did you mean" on a mistyped manager. Comparing a bad
    address with each of 100,000 others takes seconds, so the candidates are looked up
    instead: the addresses one typo away (a character missing, extra, wrong, or two swapped)
    and the same local part at another domain. difflib's ratio then says which are close."""

    def __init__(self, addresses: Mapping[str, object]) -> None:
        self._addresses = addresses
        self._by_local: dict[str, list[str]] | None = None
        self._alphabet = ""
        self._close: dict[str, list[str]] = {}

    def __contains__(self, email: object) -> bool:
        return email in self._addresses

    def closest(self, email: str, besides: str | None) -> str | None:
        """The nearest address to `email` other than `besides`, when one is close."""
        if email not in self._close:
            self._close[email] = self._search(email)
        return next((found for found in self._close[email] if found != besides), None)

    def _search(self, email: str) -> list[str]:
        by_local = self._by_local if self._by_local is not None else self._index()
        candidates = {typo for typo in _one_typo(email, self._alphabet) if typo in self}
        candidates.update(by_local.get(email.rpartition("@")[0], ()))
        candidates.discard(email)
        scored = sorted((-_similarity(email, found), found) for found in candidates)
        return [found for score, found in scored[:2] if -score >= CLOSE]

    def _index(self) -> dict[str, list[str]]:
        self._by_local = {}
        for email in self._addresses:
            self._by_local.setdefault(email.rpartition("@")[0], []).append(email)
        self._alphabet = "".join(sorted(set().union(*self._addresses)))
        return self._by_local


def _one_typo(word: str, alphabet: str) -> set[str]:
    """Every text one typo away from `word`, as in Norvig's spelling corrector."""
    splits = [(word[:cut], word[cut:]) for cut in range(len(word) + 1)]
    deletes = {head + tail[1:] for head, tail in splits if tail}
    swaps = {head + tail[1] + tail[0] + tail[2:] for head, tail in splits if len(tail) > 1}
    replaces = {head + char + tail[1:] for head, tail in splits if tail for char in alphabet}
    inserts = {head + char + tail for head, tail in splits for char in alphabet}
    return deletes | swaps | replaces | inserts


def _similarity(one: str, other: str) -> float:
    """How alike two addresses are where they differ: the local parts at one domain, the
    domains of one local part; a shared domain alone makes nobody alike."""
    local, _, domain = one.rpartition("@")
    other_local, _, other_domain = other.rpartition("@")
    if domain == other_domain:
        return difflib.SequenceMatcher(None, local, other_local).ratio()
    if local == other_local:
        return difflib.SequenceMatcher(None, domain, other_domain).ratio()
    return 0.0
