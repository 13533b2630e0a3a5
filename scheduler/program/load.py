"""Load program.yaml into a typed Program, reporting every mistake at once with file:line:column.

ruamel.yaml keeps the position of every node, pydantic finds the mistakes; this module joins them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError, RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from scheduler.errors import UserError
from scheduler.program.fields import Finding, did_you_mean
from scheduler.program.schema import Program, program_model, section_at

__all__ = ["ConfigError", "Problem", "Program", "load_program", "parse_program"]

Loc = tuple[str | int, ...]


def load_program(path: Path) -> Program:
    """Read and check the program file; relative paths in it are relative to its folder."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        raise ConfigError(
            [Problem(str(path), 1, 1, "", f"cannot read the file: {reason}")]
        ) from None
    return _parse(text, str(path), path.resolve(), path.resolve().parent)


def parse_program(text: str, source: str, base_dir: Path) -> Program:
    """Check the text of a program file; `source` names it in messages, `base_dir` is its folder."""
    base = base_dir.resolve()
    return _parse(text, source, base / Path(source).name, base)


@dataclass(frozen=True)
class Problem:
    """One mistake in the file, at a 1-based line and column, with the dotted key it concerns."""

    file: str
    line: int
    column: int
    key: str
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        key = f"{self.key}: " if self.key else ""
        hint = f" ({self.hint})" if self.hint else ""
        return f"{self.file}:{self.line}:{self.column}: {key}{self.message}{hint}"


class ConfigError(UserError):
    """The program file has mistakes; `problems` lists all of them in the order of the file."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))

    def for_the_user(self) -> str:
        count = len(self.problems)
        heading = f"{count} problem{'s' if count != 1 else ''} in the program file:"
        return "\n".join([heading, *(f"  {problem}" for problem in self.problems)])


def _parse(text: str, source: str, source_path: Path, base_dir: Path) -> Program:
    try:
        root = _yaml().load(text)
    except YAMLError as exc:
        raise ConfigError([_syntax_problem(source, exc)]) from None
    except ValueError as exc:  # a value with an explicit tag that does not fit it: !!int abc
        raise ConfigError([Problem(source, 1, 1, "", f"not valid YAML: {exc}")]) from None
    if root is None:
        hint = "it needs at least the sections program and provider"
        raise ConfigError([Problem(source, 1, 1, "", "the file is empty", hint)])
    context = {"base_dir": base_dir, "source": source_path}
    try:
        return program_model().model_validate(_plain(root), context=context)
    except ValidationError as exc:
        problems = [problem for error in exc.errors() for problem in _problems(error, root, source)]
        raise ConfigError(sorted(problems, key=lambda p: (p.line, p.column, p.key))) from None


class _Constructor(RoundTripConstructor):
    """Leaves dates as text, so that a wrong one (2027-13-01) is reported at its line."""


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", RoundTripConstructor.construct_yaml_str)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.Constructor = _Constructor
    return yaml


def _syntax_problem(source: str, exc: YAMLError) -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    hint: str | None = None
    if isinstance(exc, DuplicateKeyError):
        hint = "each key may appear only once in a section"
    elif "'\\t'" in problem:
        hint = "indent with spaces, not tabs"
    elif "mapping values are not allowed" in problem:
        hint = "put a value that contains ': ' in quotes, or check the indentation"
    elif isinstance(exc, MarkedYAMLError) and exc.context and exc.context_mark:
        hint = f"{exc.context} that started on line {exc.context_mark.line + 1}"
    return Problem(source, line, column, "", f"not valid YAML: {problem}", hint)


def _problems(error: ErrorDetails, root: Any, source: str) -> list[Problem]:
    loc: Loc = tuple(error["loc"])
    ctx = error.get("ctx") or {}
    if error["type"] == "tandem":
        findings: tuple[Finding, ...] = ctx["findings"]
    else:
        findings = (Finding((), *_translate(error["type"], loc, error["msg"])),)
    problems = []
    for finding in findings:
        path = loc + finding.at
        line, column = _position(root, path, on_key=error["type"] == "extra_forbidden")
        problems.append(Problem(source, line, column, _dotted(path), finding.message, finding.hint))
    return problems


def _translate(kind: str, loc: Loc, fallback: str) -> tuple[str, str | None]:
    """Pydantic's own errors, said for the person who wrote the file."""
    owner = section_at(loc[:-1]) if loc else None
    if kind == "extra_forbidden":
        allowed = list(owner.model_fields) if owner else []
        return "unknown key", did_you_mean(str(loc[-1]), allowed) or _listing(allowed)
    if kind == "missing":
        field = owner.model_fields.get(str(loc[-1])) if owner else None
        example = (
            f"for example: {loc[-1]}: {field.examples[0]}" if field and field.examples else None
        )
        return "this key is required", example
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        section = section_at(loc) if kind != "dict_type" else None
        keys = list(section.model_fields) if section else []
        return "expected a section of 'key: value' lines", _listing(keys)
    if kind in ("tuple_type", "list_type"):
        return "expected a list such as [a, b], or lines that start with '- '", None
    if kind in ("bool_type", "bool_parsing"):
        return "expected true or false", None
    if kind == "string_type":
        return "expected some text here", None
    return fallback, None


def _listing(keys: list[str]) -> str | None:
    return f"the keys allowed here are: {', '.join(keys)}" if keys else None


def _position(root: Any, path: Loc, *, on_key: bool) -> tuple[int, int]:
    """The 1-based line and column of the deepest node of `path` that the file has: the key for
    a section, a dictionary key or an unknown key, the value for a plain value."""
    node, (line, column) = root, _start(root)
    for index, part in enumerate(path):
        rest = path[index + 1 :]
        if isinstance(node, CommentedMap) and part in node:
            child = node[part]
            nested = isinstance(child, CommentedMap | CommentedSeq)
            at_key = nested or rest == ("[key]",) or (not rest and on_key)
            line, column = _lc(node, part, "key" if at_key else "value")
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            child = node[part]
            line, column = _lc(node, part, "item")
        else:
            break
        node = child
    return line + 1, column + 1


def _start(node: Any) -> tuple[int, int]:
    lc = getattr(node, "lc", None)
    return (lc.line or 0, lc.col or 0) if lc is not None else (0, 0)


def _lc(node: CommentedMap | CommentedSeq, part: str | int, which: str) -> tuple[int, int]:
    try:
        line, column = getattr(node.lc, which)(part)
        return int(line), int(column)
    except (KeyError, IndexError, TypeError):  # a key that came in through a YAML merge (<<)
        return _start(node)


def _dotted(path: Loc) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part != "[key]":
            text += f".{part}" if text else part
    return text


def _plain(node: Any) -> Any:
    """Plain Python values, without ruamel.yaml's round-trip subclasses of str, int and float."""
    if isinstance(node, dict):
        return {_plain(key): _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(item) for item in node]
    if isinstance(node, bool):
        return bool(node)
    for kind in (str, int, float):
        if isinstance(node, kind):
            return kind(node)
    return node
