"""The Microsoft provider's ports, built from its settings and the environment."""

from __future__ import annotations

from collections.abc import Mapping

from scheduler.errors import UserError
from scheduler.ports import Calendar, Check, Providers
from scheduler.program.schema import Program

NOT_YET = "provider.kind: microsoft is not available in this version of Tandem; use local"


def build(program: Program, env: Mapping[str, str]) -> Providers:
    raise UserError(NOT_YET)


def calendar(program: Program, env: Mapping[str, str]) -> Calendar:
    raise UserError(NOT_YET)


def check(program: Program, env: Mapping[str, str]) -> list[Check]:
    raise UserError(NOT_YET)
