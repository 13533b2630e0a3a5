"""Every contract suite runs against every provider named here: one line per provider, its
harness in tests/contracts/harnesses/ (adding a provider: its folder in integrations/, its
line in the tandem.providers entry points, its line here)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.contracts.harnesses.base import Harness
from tests.contracts.harnesses.google import GoogleHarness
from tests.contracts.harnesses.local import LocalHarness
from tests.contracts.harnesses.microsoft import MicrosoftHarness
from tests.contracts.harnesses.twin import TwinHarness

HARNESSES: dict[str, Callable[[Path], Harness]] = {
    "twin": TwinHarness,
    "local": LocalHarness,
    "google": GoogleHarness,
    "microsoft": MicrosoftHarness,
}


@pytest.fixture(params=sorted(HARNESSES))
def provider(request: pytest.FixtureRequest, tmp_path: Path) -> Harness:
    return HARNESSES[request.param](tmp_path)
