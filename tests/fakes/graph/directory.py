"""User and group representations as Entra ID returns them through Graph v1.0.

* Without $select, /users returns only the default set: businessPhones, displayName, givenName,
  id, jobTitle, mail, mobilePhone, officeLocation, preferredLanguage, surname,
  userPrincipalName (api-reference user-list.md; visible in microsoftgraph/microsoft-graph-docs
  #5916). Everything else (department, employeeType, accountEnabled, userType,
  onPremisesExtensionAttributes...) appears only when selected, as null when unset.
* Selecting a property the type does not have is refused (see odata.py); the known property
  names below are those of microsoft.graph.user / microsoft.graph.group in v1.0.
* Related objects are typed: members and expanded managers carry `@odata.type`.
"""

from __future__ import annotations

from typing import Any

from .errors import GraphError
from .schema import (
    ADVANCED_OPERATORS,
    EXTENSION_NAMES,
    GROUP_DEFAULT,
    GROUP_PROPERTIES,
    USER_DEFAULT,
    USER_FILTERABLE,
    USER_PROPERTIES,
)
from .state import Group, State, User

__all__ = [
    "ADVANCED_OPERATORS",
    "GROUP_PROPERTIES",
    "USER_DEFAULT",
    "USER_FILTERABLE",
    "USER_PROPERTIES",
]


def user_document(user: User) -> dict[str, Any]:
    """Every property the fake models, by its Graph name; unset ones are null."""
    return {
        "id": user.id,
        "businessPhones": [],
        "displayName": user.display_name,
        "givenName": user.given_name,
        "jobTitle": user.job_title,
        "mail": user.mail,
        "mobilePhone": user.mobile_phone,
        "officeLocation": user.office_location,
        "preferredLanguage": "en-US",
        "surname": user.surname,
        "userPrincipalName": user.upn,
        "accountEnabled": user.account_enabled,
        "department": user.department,
        "employeeType": user.employee_type,
        "userType": user.user_type,
        "mailNickname": user.upn.split("@")[0],
        "onPremisesExtensionAttributes": {
            name: user.extension.get(name) for name in EXTENSION_NAMES
        },
        "proxyAddresses": [f"SMTP:{user.mail}"] if user.mail else [],
    }


def shape_user(user: User, selected: list[str] | None) -> dict[str, Any]:
    document = user_document(user)
    names = list(selected) if selected is not None else list(USER_DEFAULT)
    shaped: dict[str, Any] = {"id": user.id}
    for name in names:
        shaped[name] = document.get(name)
    return shaped


def group_document(group: Group) -> dict[str, Any]:
    document: dict[str, Any] = {name: None for name in GROUP_DEFAULT}
    document.update(
        {
            "id": group.id,
            "displayName": group.display_name,
            "mail": group.mail,
            "mailEnabled": group.mail is not None,
            "mailNickname": (group.mail or group.display_name).split("@")[0],
            "securityEnabled": True,
            "groupTypes": [],
            "proxyAddresses": [f"SMTP:{group.mail}"] if group.mail else [],
            "resourceBehaviorOptions": [],
            "resourceProvisioningOptions": [],
            "onPremisesProvisioningErrors": [],
            "serviceProvisioningErrors": [],
            "visibility": None,
        }
    )
    return document


def shape_group(group: Group, selected: list[str] | None) -> dict[str, Any]:
    document = group_document(group)
    names = selected if selected is not None else GROUP_DEFAULT
    return {"id": group.id, **{name: document.get(name) for name in names}}


def user_value(user: User, name: str) -> Any:
    """A property for $filter, by case-insensitive name; `/` reaches into complex values."""
    document = user_document(user)
    head, _, tail = name.partition("/")
    lookup = {key.lower(): key for key in document}
    key = lookup.get(head.lower())
    value = document.get(key) if key else None
    if tail and isinstance(value, dict):
        inner = {k.lower(): k for k in value}
        return value.get(inner.get(tail.lower(), ""))
    return value


def resource_not_found(key: str) -> GraphError:
    return GraphError(
        404,
        "Request_ResourceNotFound",
        f"Resource '{key}' does not exist or one of its queried reference-property objects "
        "are not present.",
    )


def require_user(state: State, key: str) -> User:
    user = state.find_user(key)
    if user is None:
        raise resource_not_found(key)
    return user
