"""Request-body checks against the discovery schemas, and the ``fields`` partial response.

Google parses JSON bodies into typed messages: a key the message lacks is refused with
``Invalid JSON payload received. Unknown name "foo" at 'event': Cannot find field.`` and a value
of the wrong JSON type with ``Invalid value at 'event.summary' (TYPE_STRING), 5``; paths use the
snake_case field names. Integers may arrive as JSON strings (proto3 JSON accepts both), ``null``
means "unset", and ``readOnly`` fields are accepted and ignored, as Google does.

``fields`` (partial response) is honoured because a client that forgets to ask for a field gets
no such field from Google; an unknown field name is a 400 ``invalidParameter``.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from .errors import bad_request

JsonObject = dict[str, Any]


def snake(name: str) -> str:
    """``conferenceData`` -> ``conference_data``: the path style of Google's messages."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _where(path: str) -> str:
    return f" at '{path}'" if path else ""


def _type_error(path: str, kind: str, value: Any) -> Exception:
    import json

    return bad_request(f"Invalid value at '{path}' ({kind}), {json.dumps(value)}")


def validate(document: JsonObject, spec: JsonObject, value: Any, path: str) -> None:
    """Check ``value`` against a schema (or property) ``spec`` of ``document``, recursively."""
    if value is None:
        return
    if "$ref" in spec:
        spec = document["schemas"][spec["$ref"]]
    kind = spec.get("type", "object" if "properties" in spec else "any")
    if kind == "any":
        return
    if kind == "object":
        if not isinstance(value, dict):
            raise _type_error(path, "TYPE_MESSAGE", value)
        properties: JsonObject = spec.get("properties", {})
        extra = spec.get("additionalProperties")
        for key, item in value.items():
            if key in properties:
                validate(document, properties[key], item, f"{path}.{snake(key)}".lstrip("."))
            elif extra is not None:
                validate(document, extra, item, f"{path}[{key}]")
            else:
                raise bad_request(
                    f'Invalid JSON payload received. Unknown name "{key}"{_where(path)}: '
                    "Cannot find field."
                )
        return
    if kind == "array":
        if not isinstance(value, list):
            raise _type_error(path, "TYPE_LIST", value)
        for index, item in enumerate(value):
            validate(document, spec.get("items", {}), item, f"{path}[{index}]")
        return
    _validate_scalar(kind, spec.get("format"), value, path)


def _validate_scalar(kind: str, fmt: str | None, value: Any, path: str) -> None:
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _type_error(path, "TYPE_BOOL", value)
    elif kind == "integer":
        ok = (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, str) and re.fullmatch(r"-?\d+", value) is not None
        )
        if not ok:
            raise _type_error(path, f"TYPE_{(fmt or 'int32').upper()}", value)
    elif kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _type_error(path, "TYPE_DOUBLE", value)
    elif kind == "string":
        if fmt in ("int64", "uint64") and isinstance(value, int) and not isinstance(value, bool):
            return
        if not isinstance(value, str):
            raise _type_error(path, "TYPE_STRING", value)
        if fmt in ("int64", "uint64") and not re.fullmatch(r"-?\d+", value):
            raise _type_error(path, f"TYPE_{fmt.upper()}", value)
        if fmt == "byte":
            decode_base64(value, path)


def decode_base64(value: str, path: str) -> bytes:
    """Decode Google's ``bytes`` fields, which accept standard and URL-safe base64."""
    cleaned = value.replace("-", "+").replace("_", "/").strip()
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        return base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _type_error(path, "TYPE_BYTES", value) from exc


# -- partial response -------------------------------------------------------------------------

Selection = dict[str, "Selection | None"]


def parse_fields(text: str) -> Selection:
    """Parse ``items(id,status),nextPageToken`` into a nested selection tree."""
    position = 0

    def parse_list() -> Selection:
        nonlocal position
        result: Selection = {}
        while position < len(text):
            match = re.compile(r"[A-Za-z0-9_*@.$-]+(/[A-Za-z0-9_*@.$-]+)*").match(text, position)
            if not match:
                raise bad_request(f"Invalid field selection {text}", "invalidParameter")
            position = match.end()
            sub: Selection | None = None
            if position < len(text) and text[position] == "(":
                position += 1
                sub = parse_list()
                if position >= len(text) or text[position] != ")":
                    raise bad_request(f"Invalid field selection {text}", "invalidParameter")
                position += 1
            node = result
            parts = match.group(0).split("/")
            for part in parts[:-1]:
                child = node.get(part)
                if child is None:
                    child = {}
                    node[part] = child
                node = child
            node[parts[-1]] = sub
            if position < len(text) and text[position] == ",":
                position += 1
                continue
            break
        return result

    selection = parse_list()
    if position != len(text):
        raise bad_request(f"Invalid field selection {text}", "invalidParameter")
    return selection


def check_fields(document: JsonObject, spec: JsonObject | None, selection: Selection) -> None:
    """Refuse a selection naming a field the response schema does not have."""
    if spec is None:
        return
    if "$ref" in spec:
        spec = document["schemas"][spec["$ref"]]
    if spec.get("type") == "array":
        check_fields(document, spec.get("items"), selection)
        return
    properties = spec.get("properties")
    if properties is None:
        return
    for name, sub in selection.items():
        if name == "*":
            continue
        if name not in properties:
            raise bad_request(f"Invalid field selection {name}", "invalidParameter")
        if sub:
            item = properties[name]
            extra = item.get("additionalProperties")
            check_fields(document, extra if extra else item, sub)


def apply_fields(value: Any, selection: Selection | None) -> Any:
    """Keep only the selected parts of a response body."""
    if selection is None:
        return value
    if isinstance(value, list):
        return [apply_fields(item, selection) for item in value]
    if not isinstance(value, dict):
        return value
    if "*" in selection:
        return {k: apply_fields(v, selection["*"]) for k, v in value.items()}
    return {k: apply_fields(value[k], sub) for k, sub in selection.items() if k in value}
