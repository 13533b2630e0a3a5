"""Gmail: getProfile, messages.send/list/get/modify, history.list, labels.list, delivery.

Behaviours followed, with sources:
- ``userId`` is ``me`` or the caller's own address; another user's mailbox is 403 "Delegation
  denied"; a token without a user (service account without ``sub``) is 400
  ``failedPrecondition`` "Precondition check failed." (known Gmail answers).
- Sending stores the message with label SENT and a new historyId, and history.list reports
  it as ``messagesAdded`` (Gmail "Synchronize clients" guide: history covers all changes).
- history.list: a ``startHistoryId`` outside the retained window is 404 "Requested entity was
  not found." and the client must do a full sync (Gmail sync guide); ``history`` is absent when
  there is nothing new, ``historyId`` is always present.
- messages.list omits ``messages`` when empty and always has ``resultSizeEstimate``; SPAM and
  TRASH are left out unless ``includeSpamTrash``.
- Sending limits are per user over a rolling day (Workspace: 2000); past them Gmail answers 429
  "User-rate limit exceeded" "(Mail sending)" with the time to retry (Gmail "Resolve errors"
  guide, "Mail sending limits"). The domain/reason are usageLimits/rateLimitExceeded.
- A From that is not one of the sender's addresses is rewritten to the primary address, as
  Gmail does for unverified "send as" addresses.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from . import mail
from .dispatch import Call, Reply
from .errors import ApiError, bad_request
from .state import Mailbox, Message, SentMail, State
from .util import paginate, rfc3339

JsonObject = dict[str, Any]
SYSTEM_LABELS = (
    "INBOX", "SENT", "DRAFT", "SPAM", "TRASH", "UNREAD", "STARRED", "IMPORTANT",
    "CHAT", "CATEGORY_PERSONAL", "CATEGORY_SOCIAL", "CATEGORY_PROMOTIONS",
    "CATEGORY_UPDATES", "CATEGORY_FORUMS",
)  # fmt: skip
DAY = timedelta(days=1)
HISTORY_KEYS = {
    "messageAdded": "messagesAdded",
    "messageDeleted": "messagesDeleted",
    "labelAdded": "labelsAdded",
    "labelRemoved": "labelsRemoved",
}


def mailbox_for(call: Call) -> Mailbox:
    state = call.state
    box = state.mailboxes.get(call.subject.lower())
    if box is None:
        raise ApiError(400, "Precondition check failed.", "failedPrecondition")
    user_id = call.params["userId"].lower()
    user = state.user(user_id) if user_id != "me" else None
    if user_id != "me" and (user is None or user.email != box.address):
        raise ApiError(403, f"Delegation denied for {call.subject}", "forbidden")
    return box


def _thread_for(box: Mailbox, mime: Any, requested: str | None) -> str | None:
    if requested and any(m.thread_id == requested for m in box.messages.values()):
        return requested
    wanted = " ".join(str(mime.get(h, "")) for h in ("In-Reply-To", "References")).split()
    ids = {mail.plain_id(w) for w in wanted}
    for message in box.messages.values():
        if message.message_id and mail.plain_id(message.message_id) in ids:
            return message.thread_id
    return None


def store(
    state: State, box: Mailbox, raw: bytes, labels: set[str], thread: str | None = None
) -> Message:
    """Put a message in a mailbox with a new history record."""
    raw, message_id = mail.ensure_message_id(raw)
    mime = mail.parse(raw)
    state.counter += 1
    new_id = f"{0x18F0000000000000 + state.counter:x}"
    thread_id = _thread_for(box, mime, thread) or new_id
    message = Message(
        new_id, thread_id, raw, labels, int(state.clock.now().timestamp() * 1000), 0, message_id
    )
    box.messages[new_id] = message
    message.history_id = box.record("messageAdded", new_id)
    return message


def send(call: Call) -> Reply:
    state = call.state
    box = mailbox_for(call)
    raw = mail.raw_from(call.body, call.media)
    mime = mail.parse(raw)
    recipients = mail.addresses(mime, "To", "Cc", "Bcc")
    if not recipients:
        raise bad_request("Recipient address required", "invalidArgument")
    now = state.clock.now()
    box.sends = [t for t in box.sends if t > now - DAY]
    if len(box.sends) >= state.daily_send_limit:
        retry = rfc3339(box.sends[0] + DAY)
        text = f"User-rate limit exceeded.  Retry after {retry} (Mail sending)"
        seconds = int((box.sends[0] + DAY - now).total_seconds()) + 1
        raise ApiError(
            429,
            text,
            "rateLimitExceeded",
            domain="usageLimits",
            headers={"Retry-After": str(seconds)},
        )
    user = state.user(box.address)
    own = {box.address, *(a.lower() for a in (user.aliases if user else ()))}
    senders = mail.addresses(mime, "From")
    if not senders or senders[0] not in own:
        raw = (
            mail.replace_header(raw, "From", box.address)
            if senders
            else f"From: {box.address}\r\n".encode() + raw
        )
    box.sends.append(now)
    message = store(state, box, raw, {"SENT"}, call.body.get("threadId"))
    state.sent.append(SentMail(box.address, recipients, message.message_id or "", message.raw))
    for address in recipients:
        target = state.active_user(address)
        if target and target.email in state.mailboxes:
            store(state, state.mailboxes[target.email], message.raw, {"INBOX", "UNREAD"})
    return Reply({"id": message.id, "threadId": message.thread_id, "labelIds": ["SENT"]})


def deliver(state: State, address: str, raw: bytes, labels: tuple[str, ...]) -> Message:
    """Steering: an incoming mail lands in INBOX (and UNREAD)."""
    box = state.mailboxes[address.lower()]
    return store(state, box, raw, set(labels))


def get_profile(call: Call) -> Reply:
    box = mailbox_for(call)
    threads = {m.thread_id for m in box.messages.values()}
    return Reply(
        {
            "emailAddress": box.address,
            "messagesTotal": len(box.messages),
            "threadsTotal": len(threads),
            "historyId": str(box.history_id),
        }
    )


def list_messages(call: Call) -> Reply:
    box, query = mailbox_for(call), call.query
    wanted = set(query.get("labelIds") or [])
    found = [
        m
        for m in box.messages.values()
        if wanted <= m.labels
        and (query.get("includeSpamTrash") or not m.labels & {"SPAM", "TRASH"})
        and mail.matches(m, str(query.get("q") or ""))
    ]
    found.sort(key=lambda m: (m.internal_date, m.id), reverse=True)
    limit = min(int(query.get("maxResults") or 100), 500) or 100
    page, token = paginate(found, query, limit)
    body: JsonObject = {}
    if page:
        body["messages"] = [{"id": m.id, "threadId": m.thread_id} for m in page]
    if token:
        body["nextPageToken"] = token
    body["resultSizeEstimate"] = len(found)
    return Reply(body)


def _message(call: Call) -> tuple[Mailbox, Message]:
    box = mailbox_for(call)
    message = box.messages.get(call.params["id"])
    if message is None:
        raise ApiError(404, "Requested entity was not found.", "notFound")
    return box, message


def get_message(call: Call) -> Reply:
    _, message = _message(call)
    headers = list(call.query.get("metadataHeaders") or [])
    return Reply(mail.render(message, str(call.query["format"]), headers))


def modify(call: Call) -> Reply:
    box, message = _message(call)
    add = list(call.body.get("addLabelIds") or [])
    remove = list(call.body.get("removeLabelIds") or [])
    for label in add + remove:
        if label not in SYSTEM_LABELS and label not in box.user_labels:
            raise bad_request(f"Invalid label: {label}", "invalidArgument")
    added = tuple(sorted(set(add) - message.labels))
    removed = tuple(sorted(set(remove) & message.labels))
    message.labels = (message.labels | set(add)) - set(remove)
    if added:
        message.history_id = box.record("labelAdded", message.id, added)
    if removed:
        message.history_id = box.record("labelRemoved", message.id, removed)
    return Reply(
        {"id": message.id, "threadId": message.thread_id, "labelIds": sorted(message.labels)}
    )


def history(call: Call) -> Reply:
    box, query = mailbox_for(call), call.query
    if not query.get("startHistoryId"):
        raise bad_request("Required parameter: startHistoryId", "required")
    start = int(query["startHistoryId"])
    if start < box.history_floor:
        raise ApiError(404, "Requested entity was not found.", "notFound")
    types = set(query.get("historyTypes") or [])
    label = query.get("labelId")
    records = [
        r
        for r in box.history
        if r.id > start
        and (not types or r.kind in types)
        and (
            not label
            or (r.message_id in box.messages and label in box.messages[r.message_id].labels)
        )
    ]
    limit = min(int(query.get("maxResults") or 100), 500) or 100
    page, token = paginate(records, query, limit)
    items: list[JsonObject] = []
    for record in page:
        message = box.messages.get(record.message_id)
        ref = {
            "id": record.message_id,
            "threadId": message.thread_id if message else record.message_id,
        }
        item: JsonObject = {"id": str(record.id), "messages": [ref]}
        full = {**ref, "labelIds": sorted(message.labels) if message else []}
        key = HISTORY_KEYS[record.kind]
        if record.kind in ("messageAdded", "messageDeleted"):
            item[key] = [{"message": full}]
        else:
            item[key] = [{"message": full, "labelIds": list(record.labels)}]
        items.append(item)
    body: JsonObject = {}
    if items:
        body["history"] = items
    if token:
        body["nextPageToken"] = token
    body["historyId"] = str(box.history_id)
    return Reply(body)


def labels(call: Call) -> Reply:
    box = mailbox_for(call)
    system = [{"id": name, "name": name, "type": "system"} for name in SYSTEM_LABELS]
    user = [{"id": k, "name": v, "type": "user"} for k, v in box.user_labels.items()]
    return Reply({"labels": system + user})


HANDLERS = {
    "gmail.users.getProfile": get_profile,
    "gmail.users.messages.send": send,
    "gmail.users.messages.list": list_messages,
    "gmail.users.messages.get": get_message,
    "gmail.users.messages.modify": modify,
    "gmail.users.history.list": history,
    "gmail.users.labels.list": labels,
}
