"""Where a reply stops and the quote begins, in the words mail clients write: the patterns
come from ../shared/corpora/replies (Gmail, Outlook, Apple Mail, Thunderbird, Zoho, mobile
clients; en de fr es it pt nl sv da no fi pl ru uk zh ja hu)."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Marker:
    """Lines `start`..`end` (inclusive) open a quote of kind "prefixed" ('>' line), "header"
    ("On ... wrote:", a From:/Sent: block) or "separator" ("-----Original Message-----")."""

    start: int
    end: int
    kind: str


def quote_markers(lines: list[str]) -> list[Marker]:
    """Every quote start in `lines`, in order; overlapping ones keep the earliest start."""
    found: list[Marker] = []
    for index, line in enumerate(lines):
        marker = _marker_ending_at(lines, index) if len(line) < _LONG_LINE else None
        if marker is None and is_prefixed(line):
            marker = Marker(_header_residue(lines, index), index, "prefixed")
        if marker is None:
            continue
        while found and found[-1].end >= marker.start:
            marker = Marker(min(marker.start, found.pop().start), marker.end, marker.kind)
        found.append(marker)
    return found


def is_prefixed(line: str) -> bool:
    """A line quoted with '>' (what most clients put before each quoted line)."""
    return line.lstrip().startswith(">")


def is_signature(line: str) -> bool:
    """The first line of a signature: "-- ", "Sent from my iPhone", "Get Outlook for iOS"..."""
    stripped = line.strip()
    if _SIG_DELIMITER.fullmatch(stripped):
        return True
    if len(stripped.split()) > 8:
        return False
    return bool(_SENT_FROM.match(stripped) or _SENT_FROM_SUFFIX.match(stripped))


def banner_start(line: str) -> bool:
    """A mail gateway's warning such as "CAUTION: This email originated from outside..."."""
    return bool(_BANNER.match(line.strip()))


def banner_words(line: str) -> bool:
    """The vocabulary that a wrapped banner continues with (links, attachments, sender...)."""
    return bool(_BANNER_WORDS.search(line))


_LONG_LINE = 2000
_WROTE = (
    r"wrote|writes|schrieb|geschrieben|a\s+écrit|a\s+ecrit|escribió|escribio|ha\s+scritto|"
    r"scrisse|escreveu|schreef|geschreven|skrev|skriver|kirjoitti|napisał\(a\)|napisała|napisał|"
    r"napsal|написал\(а\)|написала|написал|пише|írta|yazdı"
)
_WROTE_WORD = re.compile(rf"(?<!\w)(?:{_WROTE})(?!\w)|写道|寫道|のメッセージ|書きました", re.I)
_WROTE_AT_END = re.compile(rf"(?<!\w)(?:{_WROTE})\s*-*\s*$", re.I)
_DATE_DETAIL = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)|\d{1,2}[:.h]\d{2}")
_ENDS_WITH_COLON = re.compile(r"[:：]\s*$")
_ADDRESS_COLON = re.compile(r"@[\w.-]+\.\w+\s*[>)]?\s*[:：]\s*$")
_DATE_FIRST = re.compile(
    r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}\b.*(?:GMT[+-]\d|<[^<>\s]+@[^<>\s]+>\s*$)", re.I
)
_OPENER = re.compile(r"^(?:on|le|am|el|il|in data|em|op|den|dne|w dniu|dnia)\b", re.I)
# Finnish and Norwegian Gmail attributions open with a weekday ("pe 20. lokakuuta", "tir. 18.")
_WEEKDAY_OPENER = re.compile(r"^(?:ma|ti|ke|to|pe|la|su|man|tir|ons|tor|fre|lør|søn)\.?\s+\d", re.I)
_SEPARATOR = re.compile(
    r"^\s*\*?\s*-{2,}\s*(?:original message|original|ursprüngliche nachricht|"
    r"message d'origine|message original|mensaje original|messaggio originale|"
    r"mensagem original|oorspronkelijk bericht|oprindelig besked|opprinnelig melding|"
    r"ursprungligt meddelande|originalmeddelande|alkuperäinen viesti|wiadomość oryginalna|"
    r"исходное сообщение|forwarded message|weitergeleitete nachricht|message transféré|"
    r"mensaje reenviado|messaggio inoltrato|mensagem encaminhada|doorgestuurd bericht)"
    r"\s*-{2,}\s*\*?\s*$"
    r"|^\s*(?:begin forwarded message|anfang der weitergeleiteten nachricht|"
    r"début du message réexpédié|debut du message reexpedie|inicio del mensaje reenviado|"
    r"mensaje reenviado|inizio messaggio inoltrato)\s*:"
    r"|^\s*_{20,}\s*$",
    re.I,
)
_FIELD = re.compile(r"^\s*\*?([^\W\d_][\w .'’-]{0,24}?)\s*\*?\s*[:：]")


def _labels(text: str) -> frozenset[str]:
    return frozenset(label.replace("_", " ") for label in text.split())


_FROM_LABELS = _labels(
    "from von de da van fra från od от lähettäjä feladó kimden 发件人 寄件者 差出人 afzender "
    "remitente"
)
_OTHER_LABELS = _labels(
    "sent date to subject cc bcc reply-to gesendet datum an betreff kopie envoyé objet à a "
    "enviado fecha para asunto inviato data oggetto risposta verzonden aan onderwerp sendt "
    "dato til emne skickat till ämne lähetetty päivämäärä vastaanottaja aihe wysłano do "
    "temat отправлено дата кому тема kopia копия envoyé_le envoyé_par copie_à message_du "
    "reply_to enviado_el gesendet_am sent_at"
)
_SIG_DELIMITER = re.compile(r"--|__")
_SENT_FROM = re.compile(
    r"^\(?(?:sent|envoyé|envoye|gesendet|enviado|inviato|verzonden|sendt|skickat|lähetetty|"
    r"wysłane|отправлено)\s+(?:from|with|via|using|de|depuis|à partir de|a partir de|von|mit|"
    r"desde|do|da|dal|met|vanaf|fra|från|z|с)\b"
    r"|^get (?:the )?outlook\b|^obtenir outlook\b|^outlook (?:for|für|pour|para) (?:ios|android)"
    r"|^從我的.*傳送|^发自我的|^iPhoneから送信",
    re.I,
)
_SENT_FROM_SUFFIX = re.compile(r"^von meine[mr]?\b.{0,40}\bgesendet\.?$", re.I)
_BANNER = re.compile(
    r"^\[?\s*(?:external|ext|extern|externe|externo)\s*(?:\]|:|$)"
    r"|^\**\s*(?:external|externe?|externo)\s+(?:email|e-mail|message|sender|mail|courriel|correo)"
    r"|^(?:caution|warning|attention|notice|achtung|vorsicht|avertissement|precaución|"
    r"precaucion|atención|atencion|aviso)\s*[:!\-]"
    r"|^this (?:email|e-mail|message|mail) (?:originated|came|comes|was sent|is) from outside"
    r"|^you don'?t often get email from"
    r"|^zjqcmqryfpfptbanner",
    re.I,
)
_BANNER_WORDS = re.compile(
    r"click|link|attachment|sender|safe|outside|organi[sz]ation|external|recogni[sz]e|trust|"
    r"phishing|suspicious|report|caution|anhänge|absender|extérieur|expéditeur|remitente|"
    r"enlaces|learn why|important|zjqcmqryfpfptbanner",
    re.I,
)


def _marker_ending_at(lines: list[str], end: int) -> Marker | None:
    line = lines[end].strip()
    if _SEPARATOR.match(line):
        return Marker(end, end, "separator")
    if _DATE_FIRST.match(line):
        return Marker(end, end, "header")
    block = _field_block(lines, end)
    if block is not None:
        return block
    if not (_ENDS_WITH_COLON.search(line) or _WROTE_AT_END.search(line)):
        return None
    return _wrote_header(lines, end)


def _wrote_header(lines: list[str], end: int) -> Marker | None:
    """An attribution line ("On Tue, 2 Mar 2027, Ana <ana@x> wrote:", "Am ... schrieb ...:"),
    possibly wrapped over up to five lines; it starts at the line that opens it."""
    for start in range(end, max(-1, end - 5), -1):
        if start < end and (not lines[start].strip() or _ends_sentence(lines[start])):
            return None
        text = " ".join(lines[i].strip() for i in range(start, end + 1)).strip()
        if _is_attribution(text):
            return Marker(_opening_line(lines, start, end), end, "header")
    return None


def _opening_line(lines: list[str], start: int, end: int) -> int:
    """Gmail wraps "On Thu, 31 Mar 2016 at 11:16 Ana\n\n<\nmailto:ana@x\n> wrote:": the
    attribution found from its end may begin a few lines higher, at an "On"-like opener."""
    while start > 0 and lines[start - 1].rstrip().endswith(("<", "(")):
        start -= 1  # an address or a date list wrapped onto the next line
    if _opens(lines[start]):
        return start
    for index in range(start - 1, max(-1, end - 5), -1):
        if _ends_sentence(lines[index]):
            break
        if _opens(lines[index]):
            return index
    return start


def _opens(line: str) -> bool:
    text = line.strip()
    return bool(_OPENER.match(text) or _WEEKDAY_OPENER.match(text))


def _is_attribution(text: str) -> bool:
    if len(text) > 400:
        return False
    dated = bool(_DATE_DETAIL.search(text))
    if _WROTE_WORD.search(text) and (dated or "@" in text):
        return bool(_ENDS_WITH_COLON.search(text) or _WROTE_AT_END.search(text))
    return bool(_ADDRESS_COLON.search(text) and dated)


def _ends_sentence(line: str) -> bool:
    stripped = line.rstrip()
    return bool(re.search(r"(?<!\d)[.!?]$", stripped)) and not stripped.lstrip().startswith(">")


def _field_block(lines: list[str], end: int) -> Marker | None:
    """An Outlook-style header block ("From: / Sent: / To: / Subject:" in some language) whose
    last field is on line `end`: at least three fields, one of them the sender."""
    labels: list[str] = []
    start = end
    loose = 0
    for index in range(end, max(-1, end - 9), -1):
        label = _label(lines[index])
        if label is None:
            if not lines[index].strip() or loose or index == end:
                break
            loose += 1
            continue
        labels.append(label)
        start = index
    if _label(lines[end]) is None or len(labels) < 3:
        return None
    if not any(label in _FROM_LABELS for label in labels):
        return None
    if end + 1 < len(lines) and _label(lines[end + 1]) is not None:
        return None
    return Marker(start, end, "header")


def _label(line: str) -> str | None:
    match = _FIELD.match(line)
    if match is None:
        return None
    label = " ".join(match.group(1).lower().split())
    return label if label in _FROM_LABELS or label in _OTHER_LABELS else None


def _header_residue(lines: list[str], quoted: int) -> int:
    """The start of an attribution cut short right above a '>' line ("On Mon ..., Ana <ana@x>
    wro"), which the line rules above do not see as a header."""
    start = quoted
    for index in range(quoted - 1, max(-1, quoted - 4), -1):
        text = lines[index].strip()
        if not text or _ends_sentence(text):
            break
        if _OPENER.match(text) and (any(c.isdigit() for c in text) or "@" in text):
            start = index
            break
    return start
