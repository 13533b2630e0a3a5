"""The Google fake, driven only by the real google-api-python-client and google-auth.

Every test talks HTTP to the fake exactly as Tandem's Google provider will: a service-account
key file whose token_uri is the fake, ``with_subject`` for domain-wide delegation,
``discovery.build(..., static_discovery=True, client_options={"api_endpoint": ...})`` and
``BatchHttpRequest(batch_uri=...)``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from io import BytesIO
from pathlib import Path
from typing import Any

import google_auth_httplib2
import httplib2
import pytest
from google.auth.exceptions import RefreshError
from google.oauth2 import service_account
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest, MediaIoBaseUpload

from tests.fakes.google import GoogleFake, ServiceAccount, make_service_account_info

DOMAIN = "example.com"
ADMIN = f"admin@{DOMAIN}"
ADA = f"ada@{DOMAIN}"
BOB = f"bob@{DOMAIN}"
CAL = "https://www.googleapis.com/auth/calendar"
DIRECTORY = [
    "https://www.googleapis.com/auth/admin.directory.user.readonly",
    "https://www.googleapis.com/auth/admin.directory.group.member.readonly",
]
GMAIL = [
    "https://www.googleapis.com/auth/gmail.send",
    "https://www.googleapis.com/auth/gmail.readonly",
    "https://www.googleapis.com/auth/gmail.modify",
]
ALL = [CAL, *DIRECTORY, *GMAIL]
MONDAY = datetime(2030, 1, 7, tzinfo=UTC)


@pytest.fixture
def fake() -> Iterator[GoogleFake]:
    with GoogleFake() as running:
        running.add_user(ADMIN, name="Ada Admin", is_admin=True)
        running.add_user(
            ADA, name="Ada Lovelace", timezone="Europe/Berlin", working_hours=("09:00", "17:00")
        )
        running.add_user(BOB, name="Bob Babbage", manager=ADA, title="Engineer")
        yield running


@pytest.fixture
def account(fake: GoogleFake, tmp_path: Path) -> ServiceAccount:
    return fake.create_service_account(tmp_path / "key.json", ALL)


def credentials(account: ServiceAccount, subject: str, scopes: list[str] = ALL) -> Any:
    base = service_account.Credentials.from_service_account_file(str(account.path), scopes=scopes)
    return base.with_subject(subject)


def service(fake: GoogleFake, account: ServiceAccount, api: str, subject: str) -> Any:
    name, version, root = {
        "admin": ("admin", "directory_v1", fake.root),
        "calendar": ("calendar", "v3", fake.calendar_root),
        "gmail": ("gmail", "v1", fake.root),
    }[api]
    return build(
        name,
        version,
        credentials=credentials(account, subject),
        client_options={"api_endpoint": root},
        static_discovery=True,
        cache_discovery=False,
    )


def reason(error: HttpError) -> str:
    return str(json.loads(error.content)["error"]["errors"][0]["reason"])


def raw_mail(sender: str, to: str, message_id: str, subject: str = "Hello") -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Message-ID"] = message_id
    message.set_content("Shall we meet?")
    return bytes(message)


# -- OAuth2 -------------------------------------------------------------------------------------


def test_a_valid_jwt_grant_gives_a_token_bound_to_the_subject(
    fake: GoogleFake, account: ServiceAccount
) -> None:
    creds = credentials(account, ADA, [CAL])
    creds.refresh(google_auth_httplib2.Request(httplib2.Http()))
    assert creds.token and creds.token.startswith("ya29.")
    assert fake.token_grants[ADA] == 1
    calendar = service(fake, account, "calendar", ADA)
    assert calendar.calendars().get(calendarId="primary").execute()["id"] == ADA


def test_an_ungranted_scope_is_refused_like_google(fake: GoogleFake, tmp_path: Path) -> None:
    narrow = fake.create_service_account(tmp_path / "narrow.json", [CAL])
    with pytest.raises(RefreshError) as refused:
        credentials(narrow, ADA, [CAL, *GMAIL]).refresh(
            google_auth_httplib2.Request(httplib2.Http())
        )
    assert refused.value.args[1]["error"] == "unauthorized_client"
    assert (
        "not authorized for any of the scopes requested"
        in refused.value.args[1]["error_description"]
    )


def test_a_forged_jwt_and_an_unknown_subject_are_refused(
    fake: GoogleFake, account: ServiceAccount, tmp_path: Path
) -> None:
    forged, _ = make_service_account_info(fake.token_uri)  # same identity, another key
    original = json.loads(Path(account.path or "").read_text())
    forged.update(client_email=original["client_email"], client_id=original["client_id"])
    forged["private_key_id"] = original["private_key_id"]
    (tmp_path / "forged.json").write_text(json.dumps(forged))
    impostor = ServiceAccount(
        account.client_email, account.client_id, "", b"", tmp_path / "forged.json"
    )
    request = google_auth_httplib2.Request(httplib2.Http())
    with pytest.raises(RefreshError, match="Invalid JWT Signature"):
        credentials(impostor, ADA).refresh(request)
    with pytest.raises(RefreshError, match="invalid_grant"):
        credentials(account, f"nobody@{DOMAIN}").refresh(request)
    assert fake.token_grants == {}


def test_missing_scope_for_a_method_is_403_and_expired_token_recovers(
    fake: GoogleFake, account: ServiceAccount
) -> None:
    gmail_only = build(
        "calendar",
        "v3",
        credentials=credentials(account, ADA, GMAIL),
        client_options={"api_endpoint": fake.calendar_root},
        static_discovery=True,
    )
    with pytest.raises(HttpError) as denied:
        gmail_only.calendars().get(calendarId="primary").execute()
    assert denied.value.resp.status == 403 and reason(denied.value) == "insufficientPermissions"

    calendar = service(fake, account, "calendar", ADA)
    calendar.calendars().get(calendarId="primary").execute()
    fake.expire_tokens()
    assert calendar.calendars().get(calendarId="primary").execute()["timeZone"] == "Europe/Berlin"
    assert fake.token_grants[ADA] == 3  # the scope-less grant, the first, the refresh
    assert fake.rejected == []


# -- Directory ----------------------------------------------------------------------------------


def test_users_list_pages_at_500_and_projects_custom_schemas(
    fake: GoogleFake, account: ServiceAccount
) -> None:
    for n in range(1001):
        fake.add_user(
            f"user{n:04d}@{DOMAIN}",
            org_unit="/Staff",
            custom={"Employment": {"level": "3"}, "Other": {"x": "y"}},
        )
    directory = service(fake, account, "admin", ADMIN)
    pages, token = [], None
    while True:
        page = (
            directory.users()
            .list(
                customer="my_customer",
                maxResults=500,
                pageToken=token,
                query="orgUnitPath='/Staff'",
            )
            .execute()
        )
        pages.append(len(page["users"]))
        token = page.get("nextPageToken")
        if not token:
            break
    assert pages == [500, 500, 1]
    basic = (
        directory.users().list(customer="my_customer", query="email:user0001").execute()["users"][0]
    )
    assert "customSchemas" not in basic and basic["orgUnitPath"] == "/Staff"
    custom = (
        directory.users()
        .get(userKey=f"user0001@{DOMAIN}", projection="custom", customFieldMask="Employment")
        .execute()
    )
    assert custom["customSchemas"] == {"Employment": {"level": "3"}}
    full = directory.users().get(userKey=f"user0001@{DOMAIN}", projection="full").execute()
    assert set(full["customSchemas"]) == {"Employment", "Other"}
    bob = directory.users().get(userKey=BOB).execute()
    assert bob["relations"] == [{"value": ADA, "type": "manager"}]
    assert bob["organizations"][0]["title"] == "Engineer"
    assert (
        "users"
        not in directory.users().list(customer="my_customer", query="email:nobody").execute()
    )
    with pytest.raises(HttpError) as too_many:
        directory.users().list(customer="my_customer", maxResults=501).execute()
    assert too_many.value.resp.status == 400
    with pytest.raises(HttpError) as not_admin:
        service(fake, account, "admin", BOB).users().list(customer="my_customer").execute()
    assert not_admin.value.resp.status == 403


def test_group_members_are_listed_and_expanded(fake: GoogleFake, account: ServiceAccount) -> None:
    fake.add_group(f"inner@{DOMAIN}", [BOB])
    fake.add_group(f"mentors@{DOMAIN}", [ADA, f"inner@{DOMAIN}"])
    directory = service(fake, account, "admin", ADMIN)
    direct = directory.members().list(groupKey=f"mentors@{DOMAIN}").execute()["members"]
    assert {(m["email"], m["type"]) for m in direct} == {
        (ADA, "USER"),
        (f"inner@{DOMAIN}", "GROUP"),
    }
    derived = (
        directory.members()
        .list(groupKey=f"mentors@{DOMAIN}", includeDerivedMembership=True)
        .execute()
    )
    assert {m["email"] for m in derived["members"]} == {ADA, BOB}


# -- Calendar -----------------------------------------------------------------------------------


def test_freebusy_limits_errors_and_what_counts_as_busy(
    fake: GoogleFake, account: ServiceAccount
) -> None:
    calendar = service(fake, account, "calendar", ADA)
    nine = MONDAY.replace(hour=9)
    fake.add_busy(BOB, nine, nine + timedelta(hours=1))
    fake.add_busy(BOB, nine + timedelta(minutes=30), nine + timedelta(hours=2))  # merged
    fake.add_busy(
        BOB, nine + timedelta(hours=3), nine + timedelta(hours=4), transparency="transparent"
    )
    declined = fake.add_event(
        ADMIN, nine + timedelta(hours=5), nine + timedelta(hours=6), attendees=[BOB]
    )
    fake.respond(ADMIN, declined, BOB, "declined")
    fake.add_out_of_office(BOB, nine + timedelta(hours=7), nine + timedelta(hours=8))
    window = {"timeMin": MONDAY.isoformat(), "timeMax": (MONDAY + timedelta(days=1)).isoformat()}
    items = [{"id": BOB}, {"id": f"ghost@{DOMAIN}"}] + [{"id": f"x{n}@{DOMAIN}"} for n in range(48)]
    answer = calendar.freebusy().query(body={**window, "items": items}).execute()
    assert answer["calendars"][BOB]["busy"] == [
        {"start": "2030-01-07T09:00:00Z", "end": "2030-01-07T11:00:00Z"},
        {"start": "2030-01-07T16:00:00Z", "end": "2030-01-07T17:00:00Z"},
    ]
    assert answer["calendars"][f"ghost@{DOMAIN}"]["errors"] == [
        {"domain": "global", "reason": "notFound"}
    ]
    with pytest.raises(HttpError) as too_many:
        calendar.freebusy().query(body={**window, "items": [*items, {"id": ADA}]}).execute()
    assert too_many.value.resp.status == 400
    with pytest.raises(HttpError) as too_long:
        long = {"timeMin": MONDAY.isoformat(), "timeMax": (MONDAY + timedelta(days=91)).isoformat()}
        calendar.freebusy().query(body={**long, "items": [{"id": BOB}]}).execute()
    assert too_long.value.resp.status == 400


def test_insert_with_client_id_duplicates_and_invalid_ids(
    fake: GoogleFake, account: ServiceAccount
) -> None:
    calendar = service(fake, account, "calendar", ADA)
    body = {
        "id": "tandem0pair0001",
        "summary": "Mentoring",
        "start": {"dateTime": "2030-01-07T10:00:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2030-01-07T10:30:00", "timeZone": "Europe/Berlin"},
        "attendees": [{"email": ADA}, {"email": BOB}],
    }
    made = calendar.events().insert(calendarId="primary", body=body, sendUpdates="all").execute()
    assert made["id"] == "tandem0pair0001" and made["iCalUID"] != made["id"]
    assert (made["status"], made["sequence"], made["organizer"]) == (
        "confirmed",
        0,
        {"email": ADA, "self": True},
    )
    statuses = {a["email"]: a["responseStatus"] for a in made["attendees"]}
    assert statuses == {ADA: "accepted", BOB: "needsAction"}
    assert [(n.recipient, n.kind) for n in fake.notifications] == [(BOB, "invitation")]
    assert fake.event(BOB, made["id"])["iCalUID"] == made["iCalUID"]  # the guest's copy
    for attempt in (body, {**body, "id": "tandem0pair0002"}):
        if attempt is not body:
            calendar.events().insert(calendarId="primary", body=attempt).execute()
            calendar.events().delete(calendarId="primary", eventId="tandem0pair0002").execute()
        with pytest.raises(HttpError) as taken:
            calendar.events().insert(calendarId="primary", body=attempt).execute()
        assert taken.value.resp.status == 409 and reason(taken.value) == "duplicate"
    for bad in ("UPPER0case", "abcw1", "abc"):
        with pytest.raises(HttpError) as invalid:
            calendar.events().insert(calendarId="primary", body={**body, "id": bad}).execute()
        assert invalid.value.resp.status == 400
        assert "Invalid resource id value." in str(invalid.value)


def test_meet_link_only_with_conference_data_version_1(
    fake: GoogleFake, account: ServiceAccount
) -> None:
    calendar = service(fake, account, "calendar", ADA)
    body = {
        "start": {"dateTime": "2030-01-07T10:00:00+01:00"},
        "end": {"dateTime": "2030-01-07T10:30:00+01:00"},
        "conferenceData": {
            "createRequest": {"requestId": "r1", "conferenceSolutionKey": {"type": "hangoutsMeet"}}
        },
    }
    plain = calendar.events().insert(calendarId="primary", body=body).execute()
    assert "hangoutLink" not in plain and "conferenceData" not in plain
    meet = (
        calendar.events().insert(calendarId="primary", body=body, conferenceDataVersion=1).execute()
    )
    assert meet["hangoutLink"].startswith("https://meet.google.com/")
    assert meet["conferenceData"]["entryPoints"][0]["uri"] == meet["hangoutLink"]


def test_patch_moves_and_delete_shows_up_in_the_sync_feed(
    fake: GoogleFake, account: ServiceAccount
) -> None:
    calendar = service(fake, account, "calendar", ADA)
    events = calendar.events()
    made = events.insert(
        calendarId="primary",
        body={
            "start": {"dateTime": "2030-01-07T10:00:00Z"},
            "end": {"dateTime": "2030-01-07T11:00:00Z"},
            "attendees": [{"email": BOB}],
        },
    ).execute()
    first = events.list(calendarId="primary").execute()
    assert [e["id"] for e in first["items"]] == [made["id"]] and "nextSyncToken" in first
    moved = events.patch(
        calendarId="primary",
        eventId=made["id"],
        body={
            "start": {"dateTime": "2030-01-08T10:00:00Z"},
            "end": {"dateTime": "2030-01-08T11:00:00Z"},
        },
        sendUpdates="none",
    ).execute()
    assert moved["sequence"] == 1 and moved["start"]["dateTime"].startswith(
        "2030-01-08T11:00:00+01:00"
    )
    assert (
        events.patch(calendarId="primary", eventId=made["id"], body={"summary": "x"}).execute()[
            "sequence"
        ]
        == 1
    )
    events.delete(calendarId="primary", eventId=made["id"]).execute()
    with pytest.raises(HttpError) as gone:
        events.delete(calendarId="primary", eventId=made["id"]).execute()
    assert gone.value.resp.status == 410 and reason(gone.value) == "deleted"
    assert events.get(calendarId="primary", eventId=made["id"]).execute()["status"] == "cancelled"
    changes = events.list(calendarId="primary", syncToken=first["nextSyncToken"]).execute()
    assert [(e["id"], e["status"]) for e in changes["items"]] == [(made["id"], "cancelled")]
    assert fake.notifications == []


def test_sync_tokens_pages_expiry_and_incompatible_filters(
    fake: GoogleFake, account: ServiceAccount
) -> None:
    for n in range(5):
        fake.add_busy(ADA, MONDAY + timedelta(hours=n), MONDAY + timedelta(hours=n, minutes=30))
    events = service(fake, account, "calendar", ADA).events()
    page = events.list(calendarId="primary", maxResults=2).execute()
    seen = [page]
    while "nextPageToken" in page:
        assert "nextSyncToken" not in page
        page = events.list(
            calendarId="primary", maxResults=2, pageToken=page["nextPageToken"]
        ).execute()
        seen.append(page)
    assert [len(p["items"]) for p in seen] == [2, 2, 1] and "nextSyncToken" in seen[-1]
    token = seen[-1]["nextSyncToken"]
    bob_event = fake.add_event(BOB, MONDAY, MONDAY + timedelta(hours=1), attendees=[ADA])
    fake.respond(BOB, bob_event, ADA, "accepted")
    assert [
        e["id"] for e in events.list(calendarId="primary", syncToken=token).execute()["items"]
    ] == [bob_event]
    with pytest.raises(HttpError) as mixed:
        events.list(calendarId="primary", syncToken=token, timeMin=MONDAY.isoformat()).execute()
    assert mixed.value.resp.status == 400
    fake.expire_sync_tokens()
    with pytest.raises(HttpError) as expired:
        events.list(calendarId="primary", syncToken=token).execute()
    assert expired.value.resp.status == 410 and reason(expired.value) == "fullSyncRequired"


def test_unknown_body_field_is_refused_and_recorded(
    fake: GoogleFake, account: ServiceAccount
) -> None:
    calendar = service(fake, account, "calendar", ADA)
    body = {
        "start": {"dateTime": "2030-01-07T10:00:00Z"},
        "end": {"dateTime": "2030-01-07T11:00:00Z"},
        "foo": 1,
    }
    with pytest.raises(HttpError) as refused:
        calendar.events().insert(calendarId="primary", body=body).execute()
    assert refused.value.resp.status == 400
    assert "Unknown name \"foo\" at 'event': Cannot find field." in str(refused.value)
    assert fake.rejected == [
        ("calendar.events.insert", json.loads(refused.value.content)["error"]["message"])
    ]


def test_batch_part_fault_reaches_only_its_callback(
    fake: GoogleFake, account: ServiceAccount
) -> None:
    calendar = service(fake, account, "calendar", ADA)
    fake.fault("calendar.events.insert", 429, times=1, retry_after=7, in_batch=True)
    results: dict[str, Any] = {}

    def done(request_id: str, response: Any, error: HttpError | None) -> None:
        results[request_id] = error or response

    batch = BatchHttpRequest(callback=done, batch_uri=fake.batch_uri("calendar"))
    for n in range(3):
        start = MONDAY + timedelta(hours=n)
        body = {
            "start": {"dateTime": start.isoformat()},
            "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
        }
        batch.add(calendar.events().insert(calendarId="primary", body=body), request_id=str(n))
    batch.execute()
    failed = results["0"]
    assert (
        isinstance(failed, HttpError)
        and failed.resp.status == 429
        and failed.resp["retry-after"] == "7"
    )
    assert all(results[k]["status"] == "confirmed" for k in ("1", "2"))
    assert fake.requests["calendar.events.insert"] == 3 and fake.requests["batch"] == 1

    fake.expire_tokens()  # a batch re-sends only its 401 parts, after one refresh
    batch = BatchHttpRequest(callback=done, batch_uri=fake.batch_uri("calendar"))
    batch.add(calendar.calendars().get(calendarId="primary"), request_id="again")
    batch.execute()
    assert results["again"]["id"] == ADA


# -- Gmail --------------------------------------------------------------------------------------


def test_send_then_find_by_rfc822msgid_and_read_history(
    fake: GoogleFake, account: ServiceAccount
) -> None:
    gmail = service(fake, account, "gmail", ADA)
    start = gmail.users().getProfile(userId="me").execute()["historyId"]
    raw = raw_mail(ADA, BOB, "<pair-1@tandem.test>")
    sent = (
        gmail.users()
        .messages()
        .send(userId="me", body={"raw": base64.urlsafe_b64encode(raw).decode()})
        .execute()
    )
    assert sent["labelIds"] == ["SENT"]
    upload = MediaIoBaseUpload(
        BytesIO(raw_mail(ADA, BOB, "<pair-2@tandem.test>")), mimetype="message/rfc822"
    )
    request = gmail.users().messages().send(userId="me", body={}, media_body=upload)
    # googleapiclient moves only the netloc of media URLs to api_endpoint and keeps https
    # (discovery._fix_up_media_path_base_url), so against a plain-http root it must be told.
    assert request.uri.startswith(fake.root.replace("http:", "https:") + "upload/gmail/v1/")
    request.uri = request.uri.replace("https:", "http:", 1)
    assert "uploadType=multipart" in request.uri
    request.execute()
    for query in ("rfc822msgid:<pair-1@tandem.test>", "rfc822msgid:pair-1@tandem.test in:sent"):
        found = gmail.users().messages().list(userId="me", q=query).execute()
        assert found["messages"] == [{"id": sent["id"], "threadId": sent["threadId"]}]
    simple = MediaIoBaseUpload(
        BytesIO(raw_mail(ADA, BOB, "<pair-3@tandem.test>")), mimetype="message/rfc822"
    )
    request = gmail.users().messages().send(userId="me", media_body=simple)
    request.uri = request.uri.replace("https:", "http:", 1)
    assert "uploadType=media" in request.uri
    third = request.execute()
    assert "messages" not in gmail.users().messages().list(userId="me", q="in:inbox").execute()
    changed = (
        gmail.users()
        .messages()
        .modify(userId="me", id=third["id"], body={"addLabelIds": ["STARRED"]})
        .execute()
    )
    assert changed["labelIds"] == ["SENT", "STARRED"]
    with pytest.raises(HttpError):
        gmail.users().messages().modify(
            userId="me", id=third["id"], body={"addLabelIds": ["Nope"]}
        ).execute()
    assert {"id": "INBOX", "name": "INBOX", "type": "system"} in gmail.users().labels().list(
        userId="me"
    ).execute()["labels"]
    stored = gmail.users().messages().get(userId="me", id=sent["id"], format="raw").execute()
    assert b"Message-ID: <pair-1@tandem.test>" in base64.urlsafe_b64decode(stored["raw"])
    reply = fake.deliver(ADA, raw_mail(BOB, ADA, "<reply@x>", "Re: Hello"))
    changes = (
        gmail.users()
        .history()
        .list(userId="me", startHistoryId=start, historyTypes="messageAdded")
        .execute()
    )
    added = [h["messagesAdded"][0]["message"] for h in changes["history"]]
    assert added[0]["id"] == sent["id"] and added[-1]["id"] == reply
    assert "INBOX" in added[-1]["labelIds"]
    assert len(fake.messages(BOB)) == 3  # every send reached Bob's inbox
    fake.expire_history(ADA)
    with pytest.raises(HttpError) as stale:
        gmail.users().history().list(userId="me", startHistoryId=start).execute()
    assert stale.value.resp.status == 404


def test_daily_sending_limit_and_the_clock(fake: GoogleFake, account: ServiceAccount) -> None:
    fake.daily_send_limit = 2
    gmail = service(fake, account, "gmail", ADA)

    def send(n: int) -> Any:
        raw = base64.urlsafe_b64encode(raw_mail(ADA, BOB, f"<m{n}@tandem.test>")).decode()
        return gmail.users().messages().send(userId="me", body={"raw": raw}).execute()

    send(1), send(2)
    with pytest.raises(HttpError) as limited:
        send(3)
    assert limited.value.resp.status == 429 and reason(limited.value) == "rateLimitExceeded"
    assert "(Mail sending)" in str(limited.value)
    fake.advance(days=1)
    assert send(4)["labelIds"] == ["SENT"]


def test_unknown_query_parameter_and_missing_token(fake: GoogleFake) -> None:
    http = httplib2.Http()
    response, _ = http.request(fake.root + "gmail/v1/users/me/profile")
    assert response.status == 401
    with pytest.raises(KeyError):
        fake.fault("calendar.events.nonesuch", 500)


# -- strictness, access, faults, threads ----------------------------------------------------------


def bearer(account: ServiceAccount, subject: str) -> dict[str, str]:
    creds = credentials(account, subject)
    creds.refresh(google_auth_httplib2.Request(httplib2.Http()))
    return {"authorization": f"Bearer {creds.token}"}


def test_unknown_parameters_fields_and_oversized_batches(
    fake: GoogleFake, account: ServiceAccount
) -> None:
    http, headers = httplib2.Http(), bearer(account, ADA)
    response, content = http.request(
        fake.calendar_root + "calendars/primary?colour=red", headers=headers
    )
    assert response.status == 400 and b"Cannot bind query parameter" in content
    response, content = http.request(
        fake.calendar_root + "calendars/primary?fields=id,timeZone", headers=headers
    )
    assert json.loads(content) == {"id": ADA, "timeZone": "Europe/Berlin"}
    response, _ = http.request(
        fake.calendar_root + "calendars/primary?fields=nonsense", headers=headers
    )
    assert response.status == 400
    part = (
        "--b\r\nContent-Type: application/http\r\nContent-ID: <x + {n}>\r\n\r\n"
        "GET /calendar/v3/calendars/primary HTTP/1.1\r\n\r\n"
    )
    body = "".join(part.format(n=n) for n in range(1001)) + "--b--\r\n"
    batch_headers = {**headers, "content-type": 'multipart/mixed; boundary="b"'}
    response, _ = http.request(fake.batch_uri("calendar"), "POST", body=body, headers=batch_headers)
    assert response.status == 400
    wrong_api = part.format(n=1).replace(
        "/calendar/v3/calendars/primary", "/gmail/v1/users/me/profile"
    )
    response, content = http.request(
        fake.batch_uri("calendar"), "POST", body=wrong_api + "--b--\r\n", headers=batch_headers
    )
    assert response.status == 200 and b"HTTP/1.1 404" in content
    assert len(fake.rejected) == 4


def test_calendar_access_follows_sharing(fake: GoogleFake, account: ServiceAccount) -> None:
    as_bob = service(fake, account, "calendar", BOB).events()
    body = {
        "start": {"dateTime": "2030-01-07T10:00:00Z"},
        "end": {"dateTime": "2030-01-07T11:00:00Z"},
    }
    with pytest.raises(HttpError) as hidden:
        as_bob.insert(calendarId=ADA, body=body).execute()
    assert hidden.value.resp.status == 404
    fake.share_calendar(ADA, BOB, "reader")
    assert as_bob.list(calendarId=ADA).execute()["items"] == []
    with pytest.raises(HttpError) as read_only:
        as_bob.insert(calendarId=ADA, body=body).execute()
    assert read_only.value.resp.status == 403 and reason(read_only.value) == "requiredAccessLevel"
    fake.share_calendar(ADA, BOB, "writer")
    made = as_bob.insert(
        calendarId=ADA,
        body={**body, "attendees": [{"email": BOB}, {"email": "guest@elsewhere.org"}]},
        sendUpdates="externalOnly",
    ).execute()
    # "self" means "the calendar this copy is on", not the caller (Event resource reference)
    assert made["organizer"] == {"email": ADA, "self": True} and made["creator"] == {"email": BOB}
    assert [n.recipient for n in fake.notifications] == ["guest@elsewhere.org"]
    with pytest.raises(HttpError) as not_organizer:
        as_bob.patch(calendarId=BOB, eventId=made["id"], body={"summary": "mine now"}).execute()
    assert (
        not_organizer.value.resp.status == 403
        and reason(not_organizer.value) == "forbiddenForNonOrganizer"
    )
    as_bob.patch(
        calendarId=BOB,
        eventId=made["id"],
        body={"attendees": [{"email": BOB, "responseStatus": "declined"}]},
    ).execute()
    assert {a["email"]: a["responseStatus"] for a in fake.event(ADA, made["id"])["attendees"]}[
        BOB
    ] == "declined"
    as_bob.delete(calendarId=BOB, eventId=made["id"]).execute()  # a guest drops the invitation
    assert as_bob.get(calendarId=BOB, eventId=made["id"]).execute()["status"] == "cancelled"
    assert fake.event(ADA, made["id"])["status"] == "confirmed"


def test_client_retries_faults_and_token_endpoint_failures(
    fake: GoogleFake, account: ServiceAccount
) -> None:
    fake.fault("token", 503)
    fake.fault("calendar.calendars.get", 503, times=2, in_batch=False)
    fake.fault("calendar.calendars.get", "403-userRateLimitExceeded")
    request = service(fake, account, "calendar", ADA).calendars().get(calendarId="primary")
    request._sleep = lambda seconds: None  # keep the client's backoff out of the test's time
    assert request.execute(num_retries=3)["id"] == ADA
    assert fake.requests["calendar.calendars.get"] == 4 and fake.requests["token"] == 2


def test_threads_share_the_fake_safely(fake: GoogleFake, account: ServiceAccount) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def insert(n: int) -> str:
        events = service(fake, account, "calendar", ADA).events()  # httplib2 is not thread-safe
        start = MONDAY + timedelta(hours=n)
        body = {
            "start": {"dateTime": start.isoformat()},
            "end": {"dateTime": (start + timedelta(minutes=30)).isoformat()},
        }
        return str(events.insert(calendarId="primary", body=body).execute()["id"])

    with ThreadPoolExecutor(max_workers=4) as pool:
        ids = list(pool.map(insert, range(8)))
    assert len(set(ids)) == 8 and fake.requests["calendar.events.insert"] == 8
