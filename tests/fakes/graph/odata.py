"""OData query options as Graph v1.0 accepts them: $select, $top, $filter, $count, Prefer.

Graph is strict about query options, and a client that works against a lenient fake can still
fail in production, so each check answers what Graph answers:

* unknown property in $select or $filter on a directory type: 400 `Request_BadRequest`, "Could
  not find a property named 'foo' on type 'microsoft.graph.user'." (the OData parser's message);
  on Outlook types the same message under `RequestBroker--ParseUri`, the code Outlook's URI
  parser uses (microsoftgraph/microsoft-graph-docs#6069).
* $top outside 1..999 on users: "Invalid page size specified: '1000'. Must be between 1 and 999
  inclusive." (learn.microsoft.com Q&A 1129204, reproduced there).
* $count without `ConsistencyLevel: eventual`: 400 "$count is not currently supported." (the
  advanced-query rule of concepts/aad-advanced-queries.md; the message text is assumed).
* filter operators that need advanced queries (`ne`, `not`, `endsWith`, filters on
  onPremisesExtensionAttributes) without ConsistencyLevel + $count: 400
  `Request_UnsupportedQuery` (aad-advanced-queries.md; message assumed).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from .errors import GraphError, Request, bad_request

Node = tuple[Any, ...]

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<punct>[(),])|"
    r"(?P<date>\d{4}-\d{2}-\d{2}T[\d:.]+(?:Z|[+-]\d{2}:\d{2})?)|"
    r"(?P<num>-?\d+(?:\.\d+)?)|(?P<word>[A-Za-z_@][\w/.@]*))"
)
_COMPARISONS = {"eq", "ne", "gt", "ge", "lt", "le"}
_FUNCTIONS = {"startswith", "endswith"}


def invalid_filter(detail: str) -> GraphError:
    return bad_request("BadRequest", f"Invalid filter clause: {detail}")


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise invalid_filter(f"Syntax error at position {position} in '{text}'.")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _Parser:
    """Recursive descent over the subset of OData $filter that directory and mail calls use."""

    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.position = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise invalid_filter("unexpected end of the expression.")
        self.position += 1
        return token

    def expect(self, value: str) -> None:
        _kind, text = self.take()
        if text.lower() != value:
            raise invalid_filter(f"expected '{value}' but found '{text}'.")

    def parse(self) -> Node:
        node = self.or_expr()
        if self.peek() is not None:
            raise invalid_filter(f"unexpected '{self.peek()[1]}'.")  # type: ignore[index]
        return node

    def or_expr(self) -> Node:
        node = self.and_expr()
        while (token := self.peek()) and token[1].lower() == "or":
            self.take()
            node = ("or", node, self.and_expr())
        return node

    def and_expr(self) -> Node:
        node = self.unary()
        while (token := self.peek()) and token[1].lower() == "and":
            self.take()
            node = ("and", node, self.unary())
        return node

    def unary(self) -> Node:
        token = self.peek()
        if token and token[1].lower() == "not":
            self.take()
            return ("not", self.unary())
        return self.primary()

    def primary(self) -> Node:
        kind, text = self.take()
        if text == "(":
            node = self.or_expr()
            self.expect(")")
            return node
        if kind == "word" and text.lower() in _FUNCTIONS and self.peek() == ("punct", "("):
            self.take()
            prop = self.operand()
            self.expect(",")
            value = self.operand()
            self.expect(")")
            return ("call", text.lower(), prop, value)
        left = self.literal_or_property(kind, text)
        operator = self.take()[1].lower()
        if operator == "in":
            self.expect("(")
            values = [self.operand()]
            while self.peek() == ("punct", ","):
                self.take()
                values.append(self.operand())
            self.expect(")")
            return ("in", left, tuple(values))
        if operator not in _COMPARISONS:
            raise invalid_filter(f"unknown operator '{operator}'.")
        return ("cmp", operator, left, self.operand())

    def operand(self) -> Node:
        kind, text = self.take()
        return self.literal_or_property(kind, text)

    @staticmethod
    def literal_or_property(kind: str, text: str) -> Node:
        if kind == "str":
            return ("lit", text[1:-1].replace("''", "'"))
        if kind in ("num", "date"):
            return ("lit", text)
        if kind == "word" and text.lower() in ("true", "false"):
            return ("lit", text.lower() == "true")
        if kind == "word" and text.lower() == "null":
            return ("lit", None)
        if kind == "word":
            return ("prop", text)
        raise invalid_filter(f"unexpected '{text}'.")


def parse_filter(text: str) -> Node:
    return _Parser(text).parse()


def filter_uses(node: Node) -> Iterable[tuple[str, str]]:
    """(property, operator) pairs of a parsed filter, to check what the service supports."""
    tag = node[0]
    if tag in ("and", "or"):
        yield from filter_uses(node[1])
        yield from filter_uses(node[2])
    elif tag == "not":
        for prop, _ in filter_uses(node[1]):
            yield prop, "not"
    elif tag == "call":
        yield node[2][1] if node[2][0] == "prop" else "", node[1]
    elif tag == "in":
        yield node[1][1] if node[1][0] == "prop" else "", "in"
    elif tag == "cmp":
        yield node[2][1] if node[2][0] == "prop" else "", node[1]


def field(data: dict[str, Any], name: str) -> Any:
    """A property of a stored document by case-insensitive name, for $filter."""
    return {key.lower(): value for key, value in data.items()}.get(name.lower())


def _value(node: Node, resolve: Callable[[str], Any]) -> Any:
    return resolve(node[1]) if node[0] == "prop" else node[1]


def _fold(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def evaluate(node: Node, resolve: Callable[[str], Any]) -> bool:
    """Evaluate against one object; string comparisons are case-insensitive as in Entra ID."""
    tag = node[0]
    if tag == "and":
        return evaluate(node[1], resolve) and evaluate(node[2], resolve)
    if tag == "or":
        return evaluate(node[1], resolve) or evaluate(node[2], resolve)
    if tag == "not":
        return not evaluate(node[1], resolve)
    if tag == "in":
        value = _fold(_value(node[1], resolve))
        return any(value == _fold(_value(option, resolve)) for option in node[2])
    if tag == "call":
        haystack = _value(node[2], resolve)
        needle = _value(node[3], resolve)
        if not isinstance(haystack, str) or not isinstance(needle, str):
            return False
        if node[1] == "startswith":
            return haystack.lower().startswith(needle.lower())
        return haystack.lower().endswith(needle.lower())
    left, right = _fold(_value(node[2], resolve)), _fold(_value(node[3], resolve))
    operator = node[1]
    if operator == "eq":
        return bool(left == right)
    if operator == "ne":
        return bool(left != right)
    if left is None or right is None:
        return False
    return bool(
        {"gt": left > right, "ge": left >= right, "lt": left < right, "le": left <= right}[operator]
    )


def unknown_property(name: str, type_name: str, *, outlook: bool = False) -> GraphError:
    code = "RequestBroker--ParseUri" if outlook else "Request_BadRequest"
    return bad_request(code, f"Could not find a property named '{name}' on type '{type_name}'.")


def parse_select(
    request: Request, allowed: Iterable[str], type_name: str, *, outlook: bool = False
) -> list[str] | None:
    """The selected properties in the service's canonical casing, or None without $select."""
    text = request.query.get("$select")
    if text is None:
        return None
    canonical = {name.lower(): name for name in allowed}
    chosen: list[str] = []
    for raw in text.split(","):
        name = raw.strip()
        if not name:
            continue
        if name == "*":
            chosen.extend(canonical.values())
            continue
        if name.lower() not in canonical:
            raise unknown_property(name, type_name, outlook=outlook)
        chosen.append(canonical[name.lower()])
    return chosen


def parse_top(request: Request, maximum: int) -> int | None:
    text = request.query.get("$top")
    if text is None:
        return None
    if not re.fullmatch(r"-?\d+", text.strip()):
        raise bad_request("Request_BadRequest", f"Invalid value '{text}' for $top query option.")
    top = int(text)
    if not 1 <= top <= maximum:
        raise bad_request(
            "Request_BadRequest",
            f"Invalid page size specified: '{top}'. Must be between 1 and {maximum} inclusive.",
        )
    return top


def prefer(request: Request) -> dict[str, str]:
    """The `Prefer` header's preferences: `outlook.timezone="X"`, `odata.maxpagesize=N`..."""
    found: dict[str, str] = {}
    for part in re.split(r",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)", request.header("prefer") or ""):
        name, _, value = part.strip().partition("=")
        if name:
            found[name.strip().lower()] = value.strip().strip('"')
    return found


def max_page_size(request: Request, default: int) -> int:
    text = prefer(request).get("odata.maxpagesize")
    if text is None:
        return default
    if not text.isdigit() or int(text) < 1:
        raise bad_request("ErrorInvalidParameter", f"Invalid odata.maxpagesize value '{text}'.")
    return int(text)


def reject_options(request: Request, endpoint_options: set[str]) -> None:
    """Refuse system query options the endpoint does not support, as Graph's parser does."""
    for name in request.query:
        if name.startswith("$") and name.lower() not in endpoint_options:
            raise bad_request(
                "BadRequest", f"Query option '{name}' is not allowed for this request."
            )


def project(
    document: dict[str, Any], selected: list[str] | None, default: Iterable[str]
) -> dict[str, Any]:
    """Keep only the selected (or default) properties, `id` and annotations always included."""
    keep = list(selected) if selected is not None else list(default)
    shaped = {key: value for key, value in document.items() if key.startswith("@")}
    if "id" in document:
        shaped["id"] = document["id"]
    for name in keep:
        if name in document:
            shaped[name] = document[name]
    return shaped
