"""A reply to a Tandem email -> the command a peer gave, or nothing; pure, `today` passed in.

As in Mailman's command runner (src/mailman/runners/command.py), automatic mail is never read,
only the first lines and the Subject count, and one table both reads commands and writes HELP.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from email.message import Message

from scheduler.mail_checks import automatic_reason
from scheduler.reply_grammar import Found, first_command, read_line
from scheduler.reply_text import subject_text, visible_text
from scheduler.reply_words import fold


class Command(enum.Enum):
    PAUSE = "pause"
    RESUME = "resume"
    END = "end"
    SKIP = "skip"
    RESCHEDULE = "reschedule"
    HELP = "help"


@dataclass(frozen=True)
class Reading:
    """What one inbound email means. `acts` and `answer` are False for automatic mail
    (auto-replies, bounces, lists), which must never change a pair nor get an answer.
    `reason` and `text` (the visible reply examined) show addresses as "<address>"."""

    command: Command | None
    until: date | None
    reason: str
    acts: bool
    answer: bool
    text: str


@dataclass(frozen=True)
class CommandEntry:
    """One command: its words per language (the first is the one HELP shows), an example
    that reads as the command, and what it does."""

    command: Command
    words: Mapping[str, tuple[str, ...]]
    examples: Mapping[str, str]
    descriptions: Mapping[str, str]


LANGUAGES = ("en", "de", "fr", "es")

COMMANDS: tuple[CommandEntry, ...] = (
    CommandEntry(
        Command.PAUSE,
        {
            "en": ("pause", "suspend", "break"),
            "de": ("pause", "pausieren", "aussetzen", "unterbrechen"),
            "fr": ("pause", "suspendre", "suspendez"),
            "es": ("pausa", "pausar", "suspender"),
        },
        {
            "en": "pause for 3 weeks",
            "de": "Pause für 3 Wochen",
            "fr": "pause pendant 3 semaines",
            "es": "pausa por 3 semanas",
        },
        {
            "en": "Puts your meetings on hold, for a while or until a date "
            '("pause until March 2"). Booked dates in between come off both calendars.',
            "de": "Setzt eure Treffen aus, für eine Weile oder bis zu einem Datum "
            '("Pause bis 2. März"). Termine in dieser Zeit verschwinden aus beiden Kalendern.',
            "fr": "Met vos rencontres en pause, un temps ou jusqu'à une date "
            '("pause jusqu\'au 2 mars"). Les dates prévues entre-temps sont retirées des '
            "deux agendas.",
            "es": "Pone vuestras reuniones en pausa, por un tiempo o hasta una fecha "
            '("pausa hasta el 2 de marzo"). Las fechas reservadas entretanto salen de ambos '
            "calendarios.",
        },
    ),
    CommandEntry(
        Command.RESUME,
        {
            "en": ("resume", "restart", "continue", "unpause", "back"),
            "de": ("fortsetzen", "weiter", "weitermachen", "fortfahren"),
            "fr": ("reprendre", "reprenez", "continuer", "reprise"),
            "es": ("reanudar", "continuar", "reanude", "reiniciar"),
        },
        {"en": "resume", "de": "fortsetzen", "fr": "reprendre", "es": "reanudar"},
        {
            "en": "Starts the meetings again after a pause and books the next date.",
            "de": "Startet die Treffen nach einer Pause wieder und bucht den nächsten Termin.",
            "fr": "Relance les rencontres après une pause et réserve la prochaine date.",
            "es": "Reanuda las reuniones tras una pausa y reserva la próxima fecha.",
        },
    ),
    CommandEntry(
        Command.END,
        {
            "en": ("end", "stop", "quit", "unsubscribe", "opt-out"),
            "de": ("beenden", "ende", "aufhören", "abmelden", "stopp"),
            "fr": ("terminer", "terminez", "arrêter", "arrêtez", "fin", "arrêt"),
            "es": ("terminar", "finalizar", "termine", "finalice", "acabar"),
        },
        {"en": "end", "de": "beenden", "fr": "terminer", "es": "terminar"},
        {
            "en": "Ends the pairing for both of you. No reason needed.",
            "de": "Beendet das Tandem für euch beide. Ohne Begründung.",
            "fr": "Met fin au binôme pour vous deux. Sans justification.",
            "es": "Termina la pareja para los dos. Sin dar motivos.",
        },
    ),
    CommandEntry(
        Command.SKIP,
        {
            "en": ("skip",),
            "de": ("überspringen", "auslassen", "ausfallen"),
            "fr": ("sauter", "sautez", "passer"),
            "es": ("saltar", "omitir", "salte", "omita"),
        },
        {"en": "skip", "de": "überspringen", "fr": "sauter", "es": "saltar"},
        {
            "en": "Skips the next meeting only; the one after stays as booked.",
            "de": "Lässt nur das nächste Treffen ausfallen; das folgende bleibt gebucht.",
            "fr": "Saute seulement la prochaine rencontre ; la suivante reste prévue.",
            "es": "Salta solo la próxima reunión; la siguiente sigue reservada.",
        },
    ),
    CommandEntry(
        Command.RESCHEDULE,
        {
            "en": ("reschedule", "move", "postpone", "rebook"),
            "de": ("verschieben", "verlegen"),
            "fr": ("reporter", "reportez", "déplacer", "déplacez", "décaler"),
            "es": ("reprogramar", "mover", "reprograme", "posponer"),
        },
        {"en": "reschedule", "de": "verschieben", "fr": "reporter", "es": "reprogramar"},
        {
            "en": "Finds another time for the next meeting that suits you both.",
            "de": "Sucht für das nächste Treffen eine andere Zeit, die euch beiden passt.",
            "fr": "Trouve un autre moment pour la prochaine rencontre, qui vous convient à "
            "tous les deux.",
            "es": "Busca otro momento para la próxima reunión que os venga bien a los dos.",
        },
    ),
    CommandEntry(
        Command.HELP,
        {"en": ("help", "commands"), "de": ("hilfe",), "fr": ("aide",), "es": ("ayuda",)},
        {"en": "help", "de": "hilfe", "fr": "aide", "es": "ayuda"},
        {
            "en": "Sends you this list.",
            "de": "Schickt dir diese Liste.",
            "fr": "Vous envoie cette liste.",
            "es": "Te envía esta lista.",
        },
    ),
)


def help_rows(language: str = "en") -> list[dict[str, str]]:
    """The HELP email's rows, one per command: {word, example, description}."""
    if language not in LANGUAGES:
        raise ValueError(f"no reply words in {language!r}; there are {', '.join(LANGUAGES)}")
    return [
        {
            "word": entry.words[language][0],
            "example": entry.examples[language],
            "description": entry.descriptions[language],
        }
        for entry in COMMANDS
    ]


def read_reply(message: Message, *, today: date) -> Reading:
    """What `message` asks for: the first command in the first lines of the visible reply,
    else in the Subject; automatic mail asks for nothing and gets no answer."""
    automatic = automatic_reason(message)
    if automatic is not None:
        return Reading(None, None, _redacted(automatic), acts=False, answer=False, text="")
    text = _redacted(visible_text(message))
    found = first_command(text, _VERBS, _VERB_LAST, today)
    if found.command is None:
        subject = subject_text(str(message.get("Subject") or ""))
        in_subject = read_line(subject, _VERBS, _VERB_LAST, today, first_clause_only=True)
        if in_subject.command is not None:
            found = Found(in_subject.command, in_subject.until, in_subject.words, "in the Subject")
    if found.command is None:
        reason = "no command found in the first lines" + (f"; {found.miss}" if found.miss else "")
        return Reading(None, None, _redacted(reason), acts=True, answer=True, text=text)
    reason = _redacted(f"found {found.words!r} {found.where}")
    return Reading(Command(found.command), found.until, reason, acts=True, answer=True, text=text)


def parse_command(text: str, *, today: date) -> tuple[Command, date | None, str] | None:
    """The first command in the first lines of `text`: the command, the day a pause ends
    (None when open-ended or not a pause) and the words it was read from."""
    found = first_command(text, _VERBS, _VERB_LAST, today)
    return None if found.command is None else (Command(found.command), found.until, found.words)


_VERBS = {
    fold(word): entry.command.value
    for entry in COMMANDS
    for language in LANGUAGES
    for word in entry.words[language]
}
# German closes a clause with its verb ("können wir das Treffen verschieben?").
_VERB_LAST = frozenset({fold(word) for entry in COMMANDS for word in entry.words["de"]})
_ADDRESS = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")


def _redacted(text: str) -> str:
    """Without email addresses, which the inbound log and the admin must not keep."""
    return _ADDRESS.sub("<address>", text)
