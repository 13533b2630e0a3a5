"""Routes and query-parameter checks taken from the discovery documents the client ships.

The fake loads ``googleapiclient/discovery_cache/documents/{admin.directory_v1,calendar.v3,
gmail.v1}.json`` -- the very documents ``discovery.build(..., static_discovery=True)`` uses -- so
a method exists in the fake exactly when it exists for the client, with the same path template,
parameters and scopes. Why each rule:

- A method is found by HTTP method + ``servicePath + path`` (``flatPath`` too) and, for media,
  ``mediaUpload.protocols.*.path``. With ``client_options={"api_endpoint": ROOT}`` the client
  replaces rootUrl+servicePath by ROOT, which is why Calendar's ROOT ends in ``calendar/v3/``.
- Query parameters not declared by the method nor common to every Google API are refused, as
  Google's front end does ("Cannot bind query parameter").
- Integer ranges, enums, booleans and ``repeated`` follow the document's declarations.
- Method keys are discovery ids, prefixed with the API name when the id lacks it, so
  Directory's ``directory.users.list`` is counted as ``admin.directory.users.list``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import googleapiclient

from .errors import ApiError, bad_request

JsonObject = dict[str, Any]

DOCUMENTS = {"admin": "admin.directory_v1", "calendar": "calendar.v3", "gmail": "gmail.v1"}

# Parameters every Google API accepts (the union of the three documents' ``parameters``).
COMMON_PARAMETERS: dict[str, JsonObject] = {
    "fields": {"type": "string"},
    "prettyPrint": {"type": "boolean"},
    "quotaUser": {"type": "string"},
    "alt": {"type": "string", "enum": ["json", "media", "proto"]},
    "key": {"type": "string"},
    "userIp": {"type": "string"},
    "$.xgafv": {"type": "string", "enum": ["1", "2"]},
    "access_token": {"type": "string"},
    "callback": {"type": "string"},
    "oauth_token": {"type": "string"},
    "upload_protocol": {"type": "string"},
    "uploadType": {"type": "string"},
}

INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "uint32": (0, 2**32 - 1)}


@dataclass
class Method:
    """One discovery method, with what the server needs to route and check a call to it."""

    key: str
    api: str
    http_method: str
    spec: JsonObject
    document: JsonObject
    patterns: list[re.Pattern[str]] = field(default_factory=list)
    upload_patterns: list[re.Pattern[str]] = field(default_factory=list)

    @property
    def scopes(self) -> list[str]:
        return list(self.spec.get("scopes", []))

    @property
    def parameters(self) -> dict[str, JsonObject]:
        return dict(self.spec.get("parameters", {}))

    @property
    def request_ref(self) -> str | None:
        request = self.spec.get("request")
        return str(request["$ref"]) if request else None

    @property
    def response_ref(self) -> str | None:
        response = self.spec.get("response")
        return str(response["$ref"]) if response else None


@dataclass
class Match:
    """A routed request: the method, its decoded path parameters, and whether it is an upload."""

    method: Method
    path_params: dict[str, str]
    upload: bool


def _template_regex(template: str) -> re.Pattern[str]:
    """Compile ``calendars/{calendarId}/events`` into an anchored regex with named groups."""
    pattern = ""
    position = 0
    for index, found in enumerate(re.finditer(r"\{(\+?)([^}]+)\}", template)):
        pattern += re.escape(template[position : found.start()])
        body = ".+" if found.group(1) else "[^/]+"
        pattern += f"(?P<p{index}_{re.sub(r'[^A-Za-z0-9_]', '_', found.group(2))}>{body})"
        position = found.end()
    pattern += re.escape(template[position:])
    return re.compile(f"^{pattern}$")


def _group_name(group: str) -> str:
    return group.split("_", 1)[1]


def _literal_weight(pattern: re.Pattern[str]) -> int:
    """Prefer routes with more literal text, so ``messages/send`` beats ``messages/{id}``."""
    return len(re.sub(r"\(\?P<[^>]+>[^)]*\)", "", pattern.pattern))


class Registry:
    """All methods of the three APIs, indexed for routing."""

    def __init__(self) -> None:
        base = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"
        self.documents: dict[str, JsonObject] = {}
        self.methods: dict[str, Method] = {}
        for api, name in DOCUMENTS.items():
            document = json.loads((base / f"{name}.json").read_text(encoding="utf-8"))
            self.documents[api] = document
            self._collect(api, document, document.get("resources", {}))
        self._routes: list[tuple[int, re.Pattern[str], Method, bool]] = []
        for method in self.methods.values():
            for pattern in method.patterns:
                self._routes.append((_literal_weight(pattern), pattern, method, False))
            for pattern in method.upload_patterns:
                self._routes.append((_literal_weight(pattern), pattern, method, True))
        self._routes.sort(key=lambda route: -route[0])

    def _collect(self, api: str, document: JsonObject, resources: JsonObject) -> None:
        service_path = str(document.get("servicePath", ""))
        for resource in resources.values():
            for spec in resource.get("methods", {}).values():
                raw_id = str(spec["id"])
                key = raw_id if raw_id.startswith(f"{api}.") else f"{api}.{raw_id}"
                method = Method(key, api, str(spec["httpMethod"]), spec, document)
                templates = {service_path + spec["path"]}
                if "flatPath" in spec:
                    templates.add(service_path + spec["flatPath"])
                method.patterns = [_template_regex(t) for t in sorted(templates)]
                protocols = spec.get("mediaUpload", {}).get("protocols", {})
                method.upload_patterns = [
                    _template_regex(str(p["path"]).lstrip("/")) for p in protocols.values()
                ]
                self.methods[key] = method
            self._collect(api, document, resource.get("resources", {}))

    def normalise(self, method_id: str) -> str:
        """Accept ``directory.users.list`` as well as ``admin.directory.users.list``."""
        if method_id in self.methods or method_id in ("token", "batch"):
            return method_id
        for api in DOCUMENTS:
            if f"{api}.{method_id}" in self.methods:
                return f"{api}.{method_id}"
        raise KeyError(f"no discovery method {method_id!r}")

    def match(self, http_method: str, path: str) -> Match | None:
        """Route ``GET calendar/v3/calendars/x/events`` (path without the leading slash)."""
        for _, pattern, method, upload in self._routes:
            found = pattern.match(path)
            if found and method.http_method == http_method:
                params = {_group_name(k): unquote(v) for k, v in found.groupdict().items()}
                return Match(method, params, upload)
        return None


def _invalid_value(name: str, kind: str, value: str) -> ApiError:
    return bad_request(f"Invalid value at '{name}' ({kind}), \"{value}\"")


def check_scalar(name: str, spec: JsonObject, raw: str) -> Any:
    """Convert one query value to its declared type, refusing what Google refuses."""
    kind = spec.get("type", "string")
    if "enum" in spec and raw not in spec["enum"]:
        raise _invalid_value(name, "TYPE_ENUM", raw)
    if kind == "boolean":
        if raw not in ("true", "false"):
            raise _invalid_value(name, "TYPE_BOOL", raw)
        return raw == "true"
    if kind == "integer":
        if not re.fullmatch(r"-?\d+", raw):
            raise _invalid_value(name, f"TYPE_{str(spec.get('format', 'int32')).upper()}", raw)
        number = int(raw)
        low, high = INT_RANGES.get(str(spec.get("format", "int32")), (None, None))
        low = int(spec["minimum"]) if "minimum" in spec else low
        high = int(spec["maximum"]) if "maximum" in spec else high
        if (low is not None and number < low) or (high is not None and number > high):
            raise bad_request(
                f"Invalid value '{raw}'. Values must be within the range: [{low}, {high}]"
            )
        return number
    if spec.get("format") == "date-time":
        parse_rfc3339(raw)  # raises
        return raw
    if spec.get("format") in ("uint64", "int64") and not re.fullmatch(r"-?\d+", raw):
        raise _invalid_value(name, f"TYPE_{str(spec['format']).upper()}", raw)
    return raw


def check_query(method: Method, pairs: list[tuple[str, str]], path_params: set[str]) -> JsonObject:
    """Validate query parameters; return typed values with the document's defaults applied."""
    declared = method.parameters
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    values: JsonObject = {}
    for name, raw_values in grouped.items():
        spec = declared.get(name) or COMMON_PARAMETERS.get(name)
        if spec is None or spec.get("location", "query") != "query" or name in path_params:
            raise bad_request(
                f'Invalid JSON payload received. Unknown name "{name}": Cannot bind query '
                f"parameter. Field '{name}' could not be found in request message."
            )
        if not spec.get("repeated") and len(raw_values) > 1:
            raise bad_request(f"Parameter {name} may be given only once.")
        typed = [check_scalar(name, spec, raw) for raw in raw_values]
        values[name] = typed if spec.get("repeated") else typed[0]
    for name, spec in declared.items():
        if spec.get("location") != "query":
            continue
        if name not in values and spec.get("required"):
            raise bad_request(f"Required parameter: {name}", "required")
        if name not in values and "default" in spec:
            values[name] = check_scalar(name, spec, str(spec["default"]))
    return values


def parse_rfc3339(text: str) -> datetime:
    """Parse an RFC 3339 timestamp that carries an offset; Google answers 400 otherwise."""
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|z|[+-]\d\d:\d\d)", text):
        raise bad_request("Bad Request", "badRequest")
    try:
        return datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError as exc:
        raise bad_request("Bad Request", "badRequest") from exc
