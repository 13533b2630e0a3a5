"""The Graph fake, started for one test, with the app registered and the program mailbox."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from integrations.microsoft.graph import Graph
from tests.contracts.harnesses.microsoft import MAILBOX, graph_for, running_fake
from tests.fakes.graph import FakeGraph


@pytest.fixture
def fake() -> Iterator[FakeGraph]:
    """Asserts at the end that the fake refused no call as invalid and never crashed."""
    with running_fake(page_size=3) as started:
        yield started


@pytest.fixture
def graph(fake: FakeGraph) -> Graph:
    return graph_for(fake, sleep=lambda seconds: None)


__all__ = ["MAILBOX"]
