"""The reply commands, one table for reading them and for the HELP list (as in Mailman's
command runner, src/mailman/runners/command.py): per command its words in en/de/fr/es, an
example that reads as it, what it does, and in which of Tandem's emails it is offered.

The pair's emails offer pause, resume, end, skip, reschedule, leave and help. The consent
words (join, leave, no thanks) belong to the invitation email that asks a person whether to
take part; "leave" is also offered in a pair's emails (a person may leave the program at any
time, issue 10), but there only with its own words (`pair_words`): words may mean different
commands in the two ("abmelden", "opt-out" end a pairing in a pair's emails and leave the
program in the invitation).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from scheduler.replies import words


class Command(enum.Enum):
    PAUSE = "pause"
    RESUME = "resume"
    END = "end"
    SKIP = "skip"
    RESCHEDULE = "reschedule"
    HELP = "help"
    JOIN = "join"
    LEAVE = "leave"
    NO_THANKS = "no_thanks"


PAIR = "pair"
INVITATION = "invitation"
EMAILS = (PAIR, INVITATION)
"""The kinds of Tandem email a reply can answer: a pair's emails, or the invitation."""
BOTH = frozenset(EMAILS)
LANGUAGES = ("en", "de", "fr", "es")


@dataclass(frozen=True)
class CommandEntry:
    """One command: its words per language (the first is the one HELP shows; a phrase of
    several words is one word here), an example that reads as the command, what it does,
    and the emails that offer it. `objects` are the words that may stand around it (None:
    the pair's, scheduler.replies.words.OBJECTS); a `weak` command acts only as the whole first
    line ("no thanks" is also how people start "no thanks needed, see you Monday");
    `answered_elsewhere` says whether a reply with its word to an email that does not offer
    it gets the HELP list (someone who wants to leave, writing to a pair's email, must learn
    "end"; a "yes please" or "no thanks" there is agreement or small talk)."""

    command: Command
    words: Mapping[str, tuple[str, ...]]
    examples: Mapping[str, str]
    descriptions: Mapping[str, str]
    offered_in: frozenset[str] = frozenset({PAIR})
    objects: frozenset[str] | None = None
    weak: bool = False
    answered_elsewhere: bool = True
    pair_words: Mapping[str, tuple[str, ...]] | None = None
    pair_examples: Mapping[str, str] | None = None

    def words_in(self, email: str) -> Mapping[str, tuple[str, ...]]:
        """Its words in a reply to `email`: a pair's emails may read fewer."""
        return self.pair_words if email == PAIR and self.pair_words else self.words

    def example_in(self, email: str, language: str) -> str:
        examples = self.pair_examples if email == PAIR and self.pair_examples else self.examples
        return examples[language]


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
        offered_in=BOTH,
    ),
    CommandEntry(
        Command.JOIN,
        {
            "en": (
                "join",
                "count me in",
                "i'm in",
                "i am in",
                "yes please",
                "opt in",
                "opt-in",
                "sign me up",
                "take part",
            ),
            "de": ("mitmachen", "ich bin dabei", "anmelden", "teilnehmen"),
            "fr": ("participer", "je participe", "inscrire", "m'inscrire", "inscrivez-moi"),
            "es": ("participar", "me apunto", "unirme", "apúntame"),
        },
        {"en": "count me in", "de": "ich bin dabei", "fr": "je participe", "es": "me apunto"},
        {
            "en": "Says yes to the program: you are included when the next pairs are made.",
            "de": "Sagt Ja zum Programm: Du bist dabei, wenn die nächsten Tandems gebildet werden.",
            "fr": "Dit oui au programme : vous serez inclus lors de la formation des prochains "
            "binômes.",
            "es": "Dice que sí al programa: entrarás cuando se formen las próximas parejas.",
        },
        offered_in=frozenset({INVITATION}),
        objects=words.PROGRAM,
        answered_elsewhere=False,
    ),
    CommandEntry(
        Command.LEAVE,
        {
            "en": ("leave", "leave the program", "opt out", "opt-out", "stop all"),
            "de": ("austreten", "abmelden"),
            "fr": ("quitter", "me désinscrire", "désinscrire"),
            "es": ("salir", "darme de baja"),
        },
        {
            "en": "leave the program",
            "de": "austreten",
            "fr": "quitter le programme",
            "es": "darme de baja",
        },
        {
            "en": "Takes you out of the program: you are not paired again and get no more emails.",
            "de": "Nimmt dich aus dem Programm: Du wirst nicht mehr eingeteilt und bekommst "
            "keine E-Mails mehr.",
            "fr": "Vous retire du programme : plus de binôme, plus d'e-mails.",
            "es": "Te saca del programa: no vuelves a tener pareja ni recibes más correos.",
        },
        offered_in=BOTH,
        objects=words.PROGRAM,
        # "leave" alone is too common in a pair's replies ("I'm on leave next week").
        pair_words={
            "en": ("leave the program", "leave the programme"),
            "de": ("austreten",),
            "fr": ("quitter le programme", "me désinscrire"),
            "es": ("darme de baja",),
        },
        pair_examples={
            "en": "leave the program",
            "de": "austreten",
            "fr": "quitter le programme",
            "es": "darme de baja",
        },
    ),
    CommandEntry(
        Command.NO_THANKS,
        {
            "en": ("no thanks", "no thank you", "not now", "not interested"),
            "de": ("nein danke", "kein interesse"),
            "fr": ("non merci", "pas intéressé", "pas intéressée"),
            "es": ("no gracias", "no me interesa"),
        },
        {"en": "no thanks", "de": "nein danke", "fr": "non merci", "es": "no gracias"},
        {
            "en": "Says no: you are not paired until you reply join.",
            "de": "Sagt Nein: Du wirst nicht eingeteilt, bis du mitmachen antwortest.",
            "fr": "Dit non : vous n'êtes pas mis en binôme tant que vous ne répondez pas "
            "participer.",
            "es": "Dice que no: no te emparejamos hasta que respondas participar.",
        },
        offered_in=frozenset({INVITATION}),
        objects=words.PROGRAM,
        weak=True,
        answered_elsewhere=False,
    ),
)


def help_rows(language: str = "en", email: str = PAIR) -> list[dict[str, str]]:
    """The HELP list's rows for a reply to `email`, one per command it offers:
    {word, example, description}. A paired peer's list shows "leave" but not "join" or
    "no thanks"."""
    if language not in LANGUAGES:
        raise ValueError(f"no reply words in {language!r}; there are {', '.join(LANGUAGES)}")
    if email not in EMAILS:
        raise ValueError(f"no email {email!r}; there are {', '.join(EMAILS)}")
    return [
        {
            "word": entry.words_in(email)[language][0],
            "example": entry.example_in(email, language),
            "description": entry.descriptions[language],
        }
        for entry in COMMANDS
        if email in entry.offered_in
    ]


def entry_of(command: Command) -> CommandEntry:
    """The table's entry for `command`."""
    return next(entry for entry in COMMANDS if entry.command is command)
