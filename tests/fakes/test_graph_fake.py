"""The Graph fake, driven by the real msal and by plain requests/httpx over TLS.

These tests pin the behaviours a Microsoft provider depends on, so that a provider written
against the fake meets the same answers in production.
"""

from __future__ import annotations

import base64
import ssl
import threading
import urllib.parse
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import httpx
import msal
import pytest
import requests

from tests.fakes.graph import FakeGraph, client_certificate

CLIENT_ID = "6f1c8f0e-6bde-4f4e-9d4b-2f0d3c1a1e01"
SECRET = "s3cret~value"
ALL_PERMISSIONS = {
    "User.Read.All",
    "GroupMember.Read.All",
    "Calendars.ReadWrite",
    "Mail.Send",
    "Mail.ReadWrite",
    "MailboxSettings.Read",
}
ORGANIZER = "mentoring@contoso.com"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGraph]:
    with FakeGraph(page_size=3) as started:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", started.ca_bundle)
        monkeypatch.setenv("SSL_CERT_FILE", started.ca_bundle)
        started.add_app(CLIENT_ID, secret=SECRET, permissions=ALL_PERMISSIONS)
        started.add_user(ORGANIZER, name="Mentoring Program")
        yield started
        assert started.crashes == []


def msal_app(fake: FakeGraph, credential: Any = SECRET, client_id: str = CLIENT_ID) -> Any:
    return msal.ConfidentialClientApplication(
        client_id,
        client_credential=credential,
        authority=fake.authority,
        instance_discovery=False,
    )


class Graph:
    """Plain requests with a bearer token from msal, as a provider would do it."""

    def __init__(self, fake: FakeGraph, app: Any = None) -> None:
        self.fake = fake
        self.app = app or msal_app(fake)
        self.session = requests.Session()

    def token(self) -> str:
        result = self.app.acquire_token_for_client(scopes=[self.fake.scope])
        assert "access_token" in result, result
        return str(result["access_token"])

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token()}", **kwargs.pop("headers", {})}
        url = path if path.startswith("https://") else f"{self.fake.graph_url}{path}"
        return self.session.request(method, url, headers=headers, timeout=10, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return self.call("POST", path, json=body, **kwargs)


@pytest.fixture
def graph(fake: FakeGraph) -> Graph:
    return Graph(fake)


def error_code(response: requests.Response) -> str:
    return str(response.json()["error"]["code"])


# -- identity platform ---------------------------------------------------------------------


def test_token_with_secret_and_graph_call(fake: FakeGraph, graph: Graph) -> None:
    response = graph.get("/users/" + ORGANIZER)
    assert response.status_code == 200
    assert response.json()["mail"] == ORGANIZER
    assert response.headers["request-id"]
    assert fake.requests["openid"] == 1 and fake.requests["token"] == 1


@pytest.mark.parametrize("use_thumbprint", [True, False])
def test_token_with_certificate(fake: FakeGraph, use_thumbprint: bool) -> None:
    cert = client_certificate()
    fake.add_app("cert-app", certificate=cert.certificate_pem, permissions={"User.Read.All"})
    credential: dict[str, str] = {"private_key": cert.private_key_pem}
    if use_thumbprint:  # RS256 with an x5t (SHA-1) header
        credential["thumbprint"] = cert.sha1_thumbprint
    else:  # PS256 with x5t#S256 and x5c
        credential["public_certificate"] = cert.certificate_pem
    graph = Graph(fake, msal_app(fake, credential, "cert-app"))
    assert graph.get("/users").status_code == 200


def test_token_refusals_in_the_identity_platform_shape(fake: FakeGraph) -> None:
    wrong = msal_app(fake, "not-the-secret").acquire_token_for_client(scopes=[fake.scope])
    assert wrong["error"] == "invalid_client"
    assert wrong["error_codes"] == [7000215]
    assert {"timestamp", "trace_id", "correlation_id"} <= wrong.keys()
    unknown = msal_app(fake, SECRET, "nobody").acquire_token_for_client(scopes=[fake.scope])
    assert unknown["error"] == "unauthorized_client" and unknown["error_codes"] == [700016]
    bad_scope = msal_app(fake).acquire_token_for_client(scopes=[f"{fake.base_url}/User.Read"])
    assert bad_scope["error"] == "invalid_scope"
    other_cert = client_certificate("someone-else", slot=1)
    fake.add_app("cert-app", certificate=client_certificate().certificate_pem)
    forged = msal_app(
        fake,
        {"private_key": other_cert.private_key_pem, "thumbprint": other_cert.sha1_thumbprint},
        "cert-app",
    ).acquire_token_for_client(scopes=[fake.scope])
    assert forged["error"] == "invalid_client" and forged["error_codes"] == [700027]


def test_domain_tenant_and_trailing_slash(fake: FakeGraph) -> None:
    app = msal.ConfidentialClientApplication(
        CLIENT_ID,
        client_credential=SECRET,
        authority=f"{fake.base_url}/contoso.onmicrosoft.com",
        instance_discovery=False,
    )
    assert "access_token" in app.acquire_token_for_client(scopes=[fake.scope])
    with pytest.raises(ValueError):
        msal.ConfidentialClientApplication(
            CLIENT_ID,
            client_credential=SECRET,
            authority=fake.authority + "/",
            instance_discovery=False,
        )


def test_token_renewal_and_expiry(fake: FakeGraph) -> None:
    app = msal_app(fake)
    for _ in range(3):
        assert "access_token" in app.acquire_token_for_client(scopes=[fake.scope])
    assert fake.requests["token"] == 1  # cached: an hour is well above msal's 5-minute margin
    fake.token_lifetime = 290
    short = msal_app(fake)
    for _ in range(2):
        assert "access_token" in short.acquire_token_for_client(scopes=[fake.scope])
    assert fake.requests["token"] == 3  # under 5 minutes left: msal always asks again
    graph = Graph(fake, app)
    fake.expire_tokens()
    refused = graph.get("/users")
    assert refused.status_code == 401 and error_code(refused) == "InvalidAuthenticationToken"
    assert "WWW-Authenticate" in refused.headers
    fake.advance(seconds=3700)
    fresh = msal.ConfidentialClientApplication(
        CLIENT_ID, client_credential=SECRET, authority=fake.authority, instance_discovery=False
    )
    assert Graph(fake, fresh).get("/users").status_code == 200


def test_missing_permission_and_mailbox_scope(fake: FakeGraph) -> None:
    fake.add_user("ann@contoso.com")
    fake.add_app("reader", secret="x", permissions={"Calendars.ReadWrite"})
    reader = Graph(fake, msal_app(fake, "x", "reader"))
    users = reader.get("/users")
    assert users.status_code == 403 and error_code(users) == "Authorization_RequestDenied"
    mail = reader.post(f"/users/{ORGANIZER}/sendMail", {"message": {}})
    assert mail.status_code == 403 and error_code(mail) == "ErrorAccessDenied"
    assert mail.json()["error"]["message"] == "Access is denied. Check credentials and try again."
    fake.limit_mailboxes("reader", {ORGANIZER})
    other = reader.get("/users/ann@contoso.com/events")
    assert other.status_code == 403 and "AppOnly AccessPolicy" in other.json()["error"]["message"]
    schedule = reader.post(f"/users/{ORGANIZER}/calendar/getSchedule", window(["ann@contoso.com"]))
    assert schedule.status_code == 200
    assert schedule.json()["value"][0]["scheduleId"] == "ann@contoso.com"


# -- directory -----------------------------------------------------------------------------


def seed_people(fake: FakeGraph, count: int) -> list[str]:
    fake.add_user("boss@contoso.com", name="Big Boss", department="Board")
    return [
        fake.add_user(
            f"p{i}@contoso.com",
            department="R&D" if i % 2 else "Sales",
            manager="boss@contoso.com",
            extension={"extensionAttribute1": str(i)},
            employee_type="Employee",
            guest=i == 0,
            enabled=i != 1,
        )
        for i in range(count)
    ]


def test_users_paging_select_and_filters(fake: FakeGraph, graph: Graph) -> None:
    seed_people(fake, 6)
    first = graph.get("/users?$select=id,mail,department").json()
    assert set(first["value"][0]) == {"id", "mail", "department"}
    seen = list(first["value"])
    link = first.get("@odata.nextLink")
    while link:
        page = graph.get(link).json()
        seen += page["value"]
        link = page.get("@odata.nextLink")
    assert len(seen) == 8 and len({user["id"] for user in seen}) == 8
    default = graph.get("/users/boss@contoso.com").json()
    assert "department" not in default and "accountEnabled" not in default
    assert default["displayName"] == "Big Boss"
    bad = graph.get("/users?$select=id,foo")
    assert bad.status_code == 400 and error_code(bad) == "Request_BadRequest"
    assert bad.json()["error"]["message"] == (
        "Could not find a property named 'foo' on type 'microsoft.graph.user'."
    )
    members = graph.get(
        "/users",
        params={
            "$filter": "accountEnabled eq true and userType eq 'Member' and department eq 'R&D'",
            "$select": "mail",
            "$top": "10",
        },
    ).json()["value"]
    assert sorted(u["mail"] for u in members) == ["p3@contoso.com", "p5@contoso.com"]
    starts = graph.get("/users", params={"$filter": "startswith(mail,'boss')"}).json()
    assert [u["mail"] for u in starts["value"]] == ["boss@contoso.com"]
    assert graph.get("/users?$top=1000").status_code == 400
    assert graph.get("/users?$count=true").status_code == 400
    counted = graph.get(
        "/users?$count=true&$filter=userType eq 'Guest'", headers={"ConsistencyLevel": "eventual"}
    ).json()
    assert counted["@odata.count"] == 1
    advanced = {"$filter": "onPremisesExtensionAttributes/extensionAttribute1 eq '3'"}
    assert graph.get("/users", params=advanced).status_code == 400
    found = graph.get(
        "/users",
        params={**advanced, "$count": "true", "$select": "mail"},
        headers={"ConsistencyLevel": "eventual"},
    ).json()["value"]
    assert [u["mail"] for u in found] == ["p3@contoso.com"]


def test_expand_manager_and_its_page_limit(fake: FakeGraph, graph: Graph) -> None:
    seed_people(fake, 2)
    query = "$select=id,mail&$expand=manager($select=id,mail,userPrincipalName)"
    refused = graph.get(f"/users?{query}&$top=101")
    assert refused.status_code == 400 and "between 1 and 100" in refused.json()["error"]["message"]
    users = graph.get(f"/users?{query}&$top=100").json()["value"]
    managed = next(u for u in users if u["mail"] == "p1@contoso.com")
    assert managed["manager"] == {
        "@odata.type": "#microsoft.graph.user",
        "id": fake.state.find_user("boss@contoso.com").id,  # type: ignore[union-attr]
        "mail": "boss@contoso.com",
        "userPrincipalName": "boss@contoso.com",
    }
    assert "manager" not in next(u for u in users if u["mail"] == "boss@contoso.com")
    assert graph.get("/users?$expand=manager,memberOf").status_code == 400


def drain(graph: Graph, url: str) -> tuple[list[dict[str, Any]], str]:
    items: list[dict[str, Any]] = []
    while True:
        page = graph.get(url)
        assert page.status_code == 200, page.text
        body = page.json()
        items += body["value"]
        if "@odata.deltaLink" in body:
            return items, str(body["@odata.deltaLink"])
        url = body["@odata.nextLink"]


def test_users_delta_changes_removals_and_expiry(fake: FakeGraph, graph: Graph) -> None:
    ids = seed_people(fake, 5)
    items, delta = drain(graph, "/users/delta?$select=id,mail,department,accountEnabled")
    assert len(items) == 7 and set(items[0]) == {"id", "mail", "department", "accountEnabled"}
    fake.update_user("p2@contoso.com", department="Support")
    fake.update_user("p3@contoso.com", title="Engineer")  # not selected: not reported
    fake.remove_user("p4@contoso.com")
    fake.remove_user(ORGANIZER, permanent=True)
    changes, delta = drain(graph, delta)
    assert {
        "id": ids[2],
        "mail": "p2@contoso.com",
        "department": "Support",
        "accountEnabled": True,
    } in changes
    removed = {c["id"]: c["@removed"]["reason"] for c in changes if "@removed" in c}
    assert removed[ids[4]] == "changed" and list(removed.values()).count("deleted") == 1
    assert all(c["id"] != ids[3] for c in changes)
    assert drain(graph, delta)[0] == []
    fake.expire_delta()
    gone = graph.get(delta)
    assert gone.status_code == 410 and gone.headers["Location"].endswith("/users/delta")


def test_groups_members_and_filter(fake: FakeGraph, graph: Graph) -> None:
    seed_people(fake, 4)
    inner = fake.add_group("inner@contoso.com", members=["p0@contoso.com", "p1@contoso.com"])
    fake.add_group("mentors@contoso.com", members=["p2@contoso.com", "inner@contoso.com"])
    found = graph.get("/groups", params={"$filter": "mail eq 'mentors@contoso.com'"}).json()
    group_id = found["value"][0]["id"]
    direct = graph.get(f"/groups/{group_id}/members?$select=id,mail").json()["value"]
    assert [m["@odata.type"] for m in direct] == ["#microsoft.graph.user", "#microsoft.graph.group"]
    everyone, link = [], f"/groups/{group_id}/transitiveMembers?$select=mail"
    while link:
        page = graph.get(link).json()
        everyone += page["value"]
        link = page.get("@odata.nextLink")
    assert {m["id"] for m in everyone} >= {inner}
    assert sorted(m["mail"] for m in everyone if m["@odata.type"].endswith("user")) == [
        "p0@contoso.com",
        "p1@contoso.com",
        "p2@contoso.com",
    ]
    bad = graph.get(f"/groups/{group_id}/members?$select=foo")
    assert "microsoft.graph.directoryObject" in bad.json()["error"]["message"]


# -- free/busy -----------------------------------------------------------------------------


def window(
    schedules: list[str],
    start: str = "2030-03-04T08:00:00",
    end: str = "2030-03-04T18:00:00",
    zone: str = "Pacific Standard Time",
    interval: int = 60,
) -> dict[str, Any]:
    return {
        "schedules": schedules,
        "startTime": {"dateTime": start, "timeZone": zone},
        "endTime": {"dateTime": end, "timeZone": zone},
        "availabilityViewInterval": interval,
    }


def test_get_schedule_limits_and_views(fake: FakeGraph, graph: Graph) -> None:
    people = [f"m{i}@contoso.com" for i in range(21)]
    for person in people:
        fake.add_user(
            person,
            timezone="W. Europe Standard Time",
            working_hours=(["monday", "tuesday"], "09:00", "17:30", "W. Europe Standard Time"),
        )
    fake.add_busy(
        "m0@contoso.com", "2030-03-04T10:00:00", "2030-03-04T11:30:00", zone="Pacific Standard Time"
    )
    fake.add_busy(
        "m0@contoso.com",
        "2030-03-04T14:00:00",
        "2030-03-04T15:00:00",
        status="oof",
        zone="Pacific Standard Time",
    )
    url = f"/users/{ORGANIZER}/calendar/getSchedule"
    ok = graph.post(
        url, window(people[:20]), headers={"Prefer": 'outlook.timezone="Pacific Standard Time"'}
    )
    assert ok.status_code == 200
    first = ok.json()["value"][0]
    assert first["availabilityView"] == "0022003000"
    assert first["scheduleItems"][0] == {
        "status": "busy",
        "start": {"dateTime": "2030-03-04T10:00:00.0000000", "timeZone": "Pacific Standard Time"},
        "end": {"dateTime": "2030-03-04T11:30:00.0000000", "timeZone": "Pacific Standard Time"},
    }
    assert first["workingHours"] == {
        "daysOfWeek": ["monday", "tuesday"],
        "startTime": "09:00:00.0000000",
        "endTime": "17:30:00.0000000",
        "timeZone": {"name": "W. Europe Standard Time"},
    }
    too_many = graph.post(url, window(people))
    assert too_many.status_code == 400 and error_code(too_many) == "ErrorMailboxDataArrayTooBig"
    long = graph.post(url, window(people[:1], "2030-01-01T00:00:00", "2030-03-05T00:00:00"))
    assert error_code(long) == "ErrorTimeIntervalTooBig"
    assert "actual limit = 63 days" in long.json()["error"]["message"]
    assert (
        graph.post(
            url, window(people[:1], "2030-01-01T00:00:00", "2030-03-04T00:00:00")
        ).status_code
        == 200
    )
    zone = graph.post(url, window(people[:1], zone="Pacific Time"))
    assert error_code(zone) == "TimeZoneNotSupportedException"
    iana = graph.post(url, window(people[:1], zone="America/Los_Angeles"))
    assert iana.json()["value"][0]["scheduleItems"][0]["start"]["timeZone"] == "UTC"
    assert error_code(graph.post(url, window(people[:1], interval=2))) == (
        "ErrorInvalidMergedFreeBusyInterval"
    )
    unknown = graph.post(url, window(["ghost@contoso.com"])).json()["value"][0]
    assert unknown["error"]["responseCode"] == "5009" and "availabilityView" not in unknown


def test_custom_time_zone_and_mailbox_settings(fake: FakeGraph, graph: Graph) -> None:
    fake.add_user("cus@contoso.com", custom_timezone=True)
    hours = graph.post(
        f"/users/{ORGANIZER}/calendar/getSchedule", window(["cus@contoso.com"])
    ).json()["value"][0]["workingHours"]
    assert hours["timeZone"]["@odata.type"] == "#microsoft.graph.customTimeZone"
    assert hours["timeZone"]["bias"] == 480
    assert hours["timeZone"]["daylightOffset"]["month"] == 3
    settings = graph.get("/users/ann@contoso.com/mailboxSettings")
    assert error_code(settings) == "ErrorInvalidUser"
    mine = graph.get(f"/users/{ORGANIZER}/mailboxSettings").json()
    assert mine["timeZone"] == "Pacific Standard Time"
    assert mine["workingHours"]["timeZone"] == {"name": "Pacific Standard Time"}


# -- events --------------------------------------------------------------------------------


def meeting(**extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "subject": "Mentoring: Ann & Bob",
        "body": {"contentType": "HTML", "content": "<p>Say hello</p>"},
        "start": {"dateTime": "2030-03-05T09:00:00", "timeZone": "Pacific Standard Time"},
        "end": {"dateTime": "2030-03-05T09:30:00", "timeZone": "Pacific Standard Time"},
        "attendees": [
            {"emailAddress": {"address": "ann@contoso.com", "name": "Ann"}, "type": "required"},
            {"emailAddress": {"address": "bob@contoso.com", "name": "Bob"}, "type": "required"},
        ],
        "isOnlineMeeting": True,
        "onlineMeetingProvider": "teamsForBusiness",
        "allowNewTimeProposals": False,
        "responseRequested": True,
        "isReminderOn": True,
        "reminderMinutesBeforeStart": 15,
        "location": {"displayName": "Teams"},
        "transactionId": "tandem-pair-42",
    }
    body.update(extra)
    return body


@pytest.fixture
def pair(fake: FakeGraph) -> None:
    fake.add_user("ann@contoso.com")
    fake.add_user("bob@contoso.com")


def test_create_event_is_idempotent_by_transaction_id(
    fake: FakeGraph, graph: Graph, pair: None
) -> None:
    first = graph.post(f"/users/{ORGANIZER}/events", meeting())
    assert first.status_code == 201
    event = first.json()
    assert event["onlineMeeting"]["joinUrl"].startswith("https://teams.microsoft.com/")
    assert [a["status"]["response"] for a in event["attendees"]] == ["none", "none"]
    assert event["organizer"]["emailAddress"]["address"] == ORGANIZER
    assert {"iCalUId", "changeKey", "createdDateTime", "lastModifiedDateTime"} <= event.keys()
    again = graph.post(f"/users/{ORGANIZER}/calendar/events", meeting())
    assert again.status_code == 201 and again.json()["id"] == event["id"]
    assert len(fake.events(ORGANIZER)) == 1
    assert [n.kind for n in fake.notifications] == ["request", "request"]
    other = graph.post(f"/users/{ORGANIZER}/events", meeting(subject="Something else"))
    assert error_code(other) == "ErrorDuplicateTransactionId"
    copies = fake.events("ann@contoso.com")
    assert copies[0]["iCalUId"] == event["iCalUId"] and copies[0]["showAs"] == "tentative"
    busy = graph.post(
        f"/users/{ORGANIZER}/calendar/getSchedule",
        window(["ann@contoso.com"], "2030-03-05T08:00:00", "2030-03-05T10:00:00", interval=30),
    ).json()
    assert busy["value"][0]["availabilityView"] == "0010"


def test_unknown_property_is_refused_and_recorded(
    fake: FakeGraph, graph: Graph, pair: None
) -> None:
    refused = graph.post(f"/users/{ORGANIZER}/events", meeting(foo=1))
    assert refused.status_code == 400 and error_code(refused) == "RequestBodyRead"
    assert refused.json()["error"]["message"].startswith(
        "The property 'foo' does not exist on type 'microsoft.graph.event'."
    )
    assert fake.rejected == [
        (
            "events.create",
            refused.json()["error"]["code"] + ": " + refused.json()["error"]["message"],
        )
    ]
    assert fake.events(ORGANIZER) == []


def test_move_keeps_identity_and_notifies(fake: FakeGraph, graph: Graph, pair: None) -> None:
    event = graph.post(f"/users/{ORGANIZER}/events", meeting()).json()
    fake.respond(ORGANIZER, event["id"], "ann@contoso.com", "accepted")
    moved = graph.call(
        "PATCH",
        f"/users/{ORGANIZER}/events/{event['id']}",
        json={
            "start": {"dateTime": "2030-03-06T10:00:00", "timeZone": "Pacific Standard Time"},
            "end": {"dateTime": "2030-03-06T10:30:00", "timeZone": "Pacific Standard Time"},
        },
        headers={"Prefer": 'outlook.timezone="Pacific Standard Time"'},
    )
    assert moved.status_code == 200
    after = moved.json()
    assert after["id"] == event["id"] and after["iCalUId"] == event["iCalUId"]
    assert after["changeKey"] != event["changeKey"]
    assert after["start"]["dateTime"] == "2030-03-06T10:00:00.0000000"
    assert [a["status"]["response"] for a in after["attendees"]] == ["none", "none"]
    kinds = [n.kind for n in fake.notifications]
    assert kinds.count("update") == 2
    graph.call("PATCH", f"/users/{ORGANIZER}/events/{event['id']}", json={"categories": ["x"]})
    assert [n.kind for n in fake.notifications].count("update") == 2
    fetched = graph.get(f"/users/{ORGANIZER}/events/{event['id']}?$select=subject,start")
    assert set(fetched.json()) >= {"id", "subject", "start"} and "attendees" not in fetched.json()
    assert error_code(graph.get(f"/users/{ORGANIZER}/events/nope")) == "ErrorInvalidIdMalformed"


def test_calendar_view_delta_sees_answers_and_cancellation(
    fake: FakeGraph, graph: Graph, pair: None
) -> None:
    view = "/calendarView/delta?startDateTime=2030-03-01T00:00:00Z&endDateTime=2030-03-31T00:00:00Z"
    assert error_code(graph.get(f"/users/{ORGANIZER}/calendarView/delta")) == (
        "ErrorInvalidParameter"
    )
    event = graph.post(f"/users/{ORGANIZER}/events", meeting()).json()
    graph.post(
        f"/users/{ORGANIZER}/events", meeting(transactionId="second", subject="Second")
    ).json()
    items, organizer_link = drain(graph, f"/users/{ORGANIZER}{view}")
    assert len(items) == 2
    _, ann_link = drain(graph, f"/users/ann@contoso.com{view}")
    fake.respond(ORGANIZER, event["id"], "bob@contoso.com", "declined")
    changes, organizer_link = drain(graph, organizer_link)
    assert len(changes) == 1
    assert changes[0]["attendees"][1]["status"]["response"] == "declined"
    cancelled = graph.post(
        f"/users/{ORGANIZER}/events/{event['id']}/cancel", {"Comment": "Pair changed"}
    )
    assert cancelled.status_code == 202 and cancelled.content == b""
    changes, _ = drain(graph, organizer_link)
    assert changes == [
        {
            "@odata.type": "#microsoft.graph.event",
            "id": event["id"],
            "@removed": {"reason": "deleted"},
        }
    ]
    ann_changes, _ = drain(graph, ann_link)
    assert ann_changes[0]["isCancelled"] is True
    assert ann_changes[0]["subject"].startswith("Canceled: ")
    assert [n.recipient for n in fake.notifications if n.kind == "cancel"] == [
        "ann@contoso.com",
        "bob@contoso.com",
    ]
    fake.expire_delta()
    assert error_code(graph.get(organizer_link)) == "SyncStateNotFound"


def test_calendar_view_delta_pages_with_maxpagesize(fake: FakeGraph, graph: Graph) -> None:
    for hour in range(5):
        fake.add_busy(ORGANIZER, f"2030-03-04T{10 + hour}:00:00", f"2030-03-04T{10 + hour}:30:00")
    first = graph.get(
        f"/users/{ORGANIZER}/calendarView/delta?startDateTime=2030-03-04T00:00:00"
        "&endDateTime=2030-03-05T00:00:00",
        headers={"Prefer": "odata.maxpagesize=2"},
    ).json()
    assert len(first["value"]) == 2 and "$skiptoken=" in first["@odata.nextLink"]
    assert (
        graph.get(
            f"/users/{ORGANIZER}/calendarView/delta?startDateTime=2030-03-04T00:00:00"
            "&endDateTime=2030-03-05T00:00:00&$select=subject"
        ).status_code
        == 400
    )


# -- mail ----------------------------------------------------------------------------------


def test_draft_send_and_lookup_by_internet_message_id(
    fake: FakeGraph, graph: Graph, pair: None
) -> None:
    message_id = "<pair-42.invite@tandem.contoso.com>"
    draft = graph.post(
        f"/users/{ORGANIZER}/messages",
        {
            "subject": "You have a mentoring partner",
            "body": {"contentType": "Text", "content": "Meet Bob."},
            "toRecipients": [{"emailAddress": {"address": "ann@contoso.com"}}],
            "replyTo": [{"emailAddress": {"address": "replies@contoso.com"}}],
            "internetMessageId": message_id,
            "internetMessageHeaders": [{"name": "X-Tandem-Pair", "value": "42"}],
        },
    )
    assert draft.status_code == 201 and draft.json()["isDraft"] is True
    sent = graph.post(f"/users/{ORGANIZER}/messages/{draft.json()['id']}/send")
    assert sent.status_code == 202 and sent.content == b""
    query = {"$filter": f"internetMessageId eq '{message_id}'", "$select": "id,subject"}
    found = graph.get(f"/users/{ORGANIZER}/mailFolders/sentitems/messages", params=query)
    assert [m["subject"] for m in found.json()["value"]] == ["You have a mentoring partner"]
    assert graph.get(f"/users/{ORGANIZER}/mailFolders/drafts/messages").json()["value"] == []
    sent_id = found.json()["value"][0]["id"]
    headers = graph.get(
        f"/users/{ORGANIZER}/messages/{sent_id}?$select=internetMessageHeaders,internetMessageId"
    ).json()
    assert {"name": "X-Tandem-Pair", "value": "42"} in headers["internetMessageHeaders"]
    assert (
        "internetMessageHeaders" not in graph.get(f"/users/{ORGANIZER}/messages/{sent_id}").json()
    )
    raw = graph.get(f"/users/{ORGANIZER}/messages/{sent_id}/$value")
    assert f"Message-ID: {message_id}" in raw.text and "X-Tandem-Pair: 42" in raw.text
    inbox = graph.get("/users/ann@contoso.com/messages", params=query).json()["value"]
    assert len(inbox) == 1
    bad_header = graph.post(
        f"/users/{ORGANIZER}/messages",
        {"internetMessageHeaders": [{"name": "Auto-Submitted", "value": "auto-generated"}]},
    )
    assert error_code(bad_header) == "InvalidInternetMessageHeader"
    bad_id = graph.post(f"/users/{ORGANIZER}/messages", {"internetMessageId": "no-brackets"})
    assert bad_id.status_code == 400


def test_send_mail_as_mime_and_json(fake: FakeGraph, graph: Graph, pair: None) -> None:
    mime = EmailMessage()
    mime["From"] = ORGANIZER
    mime["To"] = "bob@contoso.com"
    mime["Subject"] = "Reminder"
    mime["Message-ID"] = "<reminder-1@tandem.contoso.com>"
    mime.set_content("See you tomorrow.")
    encoded = base64.b64encode(bytes(mime))
    sent = graph.call(
        "POST", f"/users/{ORGANIZER}/sendMail", data=encoded, headers={"Content-Type": "text/plain"}
    )
    assert sent.status_code == 202
    assert fake.messages("bob@contoso.com", "inbox")[0]["subject"] == "Reminder"
    garbage = graph.call(
        "POST", f"/users/{ORGANIZER}/sendMail", data=b"%%%", headers={"Content-Type": "text/plain"}
    )
    assert error_code(garbage) == "ErrorMimeContentInvalidBase64String"
    unknown = graph.post(f"/users/{ORGANIZER}/sendMail", {"message": {}, "urgent": True})
    assert error_code(unknown) == "RequestBodyRead"
    nobody = graph.post(f"/users/{ORGANIZER}/sendMail", {"message": {"subject": "x"}})
    assert error_code(nobody) == "ErrorInvalidRecipients"


def test_message_rate_limit_with_fake_clock(fake: FakeGraph, graph: Graph) -> None:
    body = {
        "message": {
            "subject": "hi",
            "toRecipients": [{"emailAddress": {"address": "someone@example.org"}}],
        },
        "saveToSentItems": False,
    }
    for _ in range(30):
        assert graph.post(f"/users/{ORGANIZER}/sendMail", body).status_code == 202
    limited = graph.post(f"/users/{ORGANIZER}/sendMail", body)
    assert limited.status_code == 429 and error_code(limited) == "ErrorExceededMessageLimit"
    assert int(limited.headers["Retry-After"]) > 0
    fake.advance(seconds=61)
    assert graph.post(f"/users/{ORGANIZER}/sendMail", body).status_code == 202


def test_inbox_delta_sees_delivered_mail(fake: FakeGraph, graph: Graph) -> None:
    url = f"/users/{ORGANIZER}/mailFolders/inbox/messages/delta?$select=subject,from"
    assert drain(graph, url)[0] == []
    _, link = drain(graph, url)
    reply = EmailMessage()
    reply["From"] = "Ann <ann@example.org>"
    reply["To"] = ORGANIZER
    reply["Subject"] = "Re: You have a mentoring partner"
    reply.set_content("Thursday works.")
    message_id = fake.deliver(ORGANIZER, bytes(reply))
    changes, link = drain(graph, link)
    assert changes == [
        {
            "@odata.etag": changes[0]["@odata.etag"],
            "id": message_id,
            "subject": "Re: You have a mentoring partner",
            "from": {"emailAddress": {"name": "Ann", "address": "ann@example.org"}},
        }
    ]
    graph.call("DELETE", f"/users/{ORGANIZER}/messages/{message_id}")
    removed, link = drain(graph, link)
    assert removed[0]["@removed"] == {"reason": "deleted"}
    fake.expire_delta()
    assert graph.get(link).status_code == 410


# -- batching, throttling ------------------------------------------------------------------


def test_batch_answers_out_of_order_with_a_throttled_item(fake: FakeGraph, graph: Graph) -> None:
    for index in range(19):
        fake.add_user(f"b{index}@contoso.com")
    fake.fault("users.get", status=429, times=1, retry_after=7, in_batch=True)
    requests_ = [
        {
            "id": str(i),
            "method": "GET",
            "url": f"/users/{f'b{i}@contoso.com' if i < 19 else ORGANIZER}",
        }
        for i in range(20)
    ]
    answer = graph.post("/$batch", {"requests": requests_})
    assert answer.status_code == 200
    responses = answer.json()["responses"]
    assert sorted(int(r["id"]) for r in responses) == list(range(20))
    assert [r["id"] for r in responses] != [str(i) for i in range(20)]
    throttled = [r for r in responses if r["status"] == 429]
    assert len(throttled) == 1 and throttled[0]["headers"]["Retry-After"] == "7"
    assert fake.requests["batch"] == 1 and fake.requests["users.get"] == 20
    too_many = graph.post("/$batch", {"requests": [*requests_, {**requests_[0], "id": "20"}]})
    assert too_many.status_code == 400
    write = graph.post(
        "/$batch",
        {
            "requests": [
                {
                    "id": "1",
                    "method": "POST",
                    "url": f"/users/{ORGANIZER}/events",
                    "body": meeting(),
                }
            ]
        },
    )
    assert "does not contain Content-Type header or body" in write.json()["error"]["message"]


def test_batch_items_on_one_mailbox_count_as_concurrent(fake: FakeGraph, graph: Graph) -> None:
    requests_ = [
        {"id": str(i), "method": "GET", "url": f"/users/{ORGANIZER}/events"} for i in range(6)
    ]
    statuses = sorted(
        r["status"] for r in graph.post("/$batch", {"requests": requests_}).json()["responses"]
    )
    assert statuses == [200, 200, 200, 200, 429, 429]
    chained = [
        {**r, "dependsOn": [str(int(r["id"]) - 1)]} if r["id"] != "0" else r for r in requests_
    ]
    statuses = [
        r["status"] for r in graph.post("/$batch", {"requests": chained}).json()["responses"]
    ]
    assert statuses == [200] * 6


def test_fifth_concurrent_request_on_a_mailbox_is_throttled(fake: FakeGraph) -> None:
    graph = Graph(fake)
    token = graph.token()
    fake.slow("events.list", 0.6)
    context = ssl.create_default_context(cafile=fake.ca_bundle)
    results: list[int] = []

    def call() -> None:
        with httpx.Client(verify=context, timeout=10) as client:
            response = client.get(
                f"{fake.graph_url}/users/{urllib.parse.quote(ORGANIZER)}/events",
                headers={"Authorization": f"Bearer {token}"},
            )
            results.append(response.status_code)
            if response.status_code == 429:
                assert response.json()["error"]["message"] == (
                    "Application is over its MailboxConcurrency limit."
                )

    threads = [threading.Thread(target=call) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [200, 200, 200, 200, 429]


def test_injected_faults_outside_batch(fake: FakeGraph, graph: Graph) -> None:
    fake.fault("getSchedule", status=503, times=2, retry_after=3, in_batch=False)
    url = f"/users/{ORGANIZER}/calendar/getSchedule"
    first = graph.post(url, window([ORGANIZER]))
    assert first.status_code == 503 and first.headers["Retry-After"] == "3"
    assert graph.post(url, window([ORGANIZER])).status_code == 503
    assert graph.post(url, window([ORGANIZER])).status_code == 200
    assert fake.rejected == []
