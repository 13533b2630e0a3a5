"""The small words around a reply command in en/de/fr/es ("let's", "bitte", "on peut",
"por favor"), so that a short request is read as a command and a sentence of prose is not:
every word of a command clause must be one of these, the command word, or a pause length.

Words are kept accent-folded (see `fold`): "arrêter" and "arreter" are the same word.
"""

from __future__ import annotations

import unicodedata


def fold(word: str) -> str:
    """Lower case without accents ("Überspringen" -> "uberspringen"), ß as ss, ’ as '."""
    decomposed = unicodedata.normalize("NFKD", word.lower().replace("’", "'").replace("ß", "ss"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _words(text: str) -> frozenset[str]:
    return frozenset(fold(word) for word in text.split())


FILLERS = _words(
    # en
    "please pls plz kindly let's lets let us can could would will shall may might we i you "
    "i'd we'd i'll we'll i'm we're im ive i've we've like love want wanna need needs have has "
    "to should must just maybe perhaps ok okay yes yeah yep sure hi hello hey so then now also "
    "actually already really both time think it's its is be go ahead take a an do and all "
    "right good great thanks thank happy ready glad prefer rather gonna going better oh well "
    "alright instead guess guys team sorry afraid unfortunately "
    # de
    "bitte wir ich möchten möchte würden würde gerne gern können könnten kannst könnt kann "
    "lass lasst lassen uns sollten sollen müssen muss wollen will mal doch hallo ja jetzt "
    "gerade erst einmal vorerst eine einen ein zu es gleich danke dann also leider lieber "
    "stattdessen bin mich "
    # fr
    "je j' nous on voudrais voudrions aimerais aimerions souhaite souhaitons souhaiterais "
    "souhaiterions peut peut-on pouvons pouvez pourriez pourrait pourrions merci de d' svp stp "
    "bonjour salut oui faire une un il faut veux voulons veut besoin avons ai est-ce que qu' s' "
    "vous plait alors donc maintenant prefere preferons bien serait bon plutot m' desole "
    "desolee malheureusement volontiers "
    # es
    "por favor podemos podriamos puedes puede pueden quisiera quisieramos quiero queremos me "
    "nos gustaria necesito necesitamos vamos hola si vale hacer una hay tengo tenemos ahora "
    "bueno gracias preferimos prefiero deberiamos debemos mejor siento perdon lamentablemente "
    "encantado encantada"
)

OBJECTS = _words(
    # en
    "the our my this that it us all a an everything next upcoming coming one ones meeting "
    "meetings session sessions call calls chat chats conversation conversations catch-up "
    "catchup pairing pair mentoring mentorship program programme tandem partnership "
    "subscription emails mails please thanks thank you now again here them these both too "
    "asap instead altogether today week's "
    # de
    "das die den dem der unser unsere unseren unserer unsern nachste nachstes nachsten "
    "kommende kommendes kommenden treffen termin termine gesprach gesprache sitzung sitzungen "
    "mentoring "
    "programm bitte danke es alles erst mal einmal vorerst eine einen wieder jetzt gleich "
    "machen lassen "
    # fr
    "la le les l' notre nos mon ma prochaine prochain reunion reunions rencontre rencontres "
    "rendez-vous seance seances echange echanges session mentorat programme binome svp stp "
    "merci s' il vous plait tout ca cela cette ce fois la maintenant une un "
    # es
    "la el los las lo nuestra nuestro nuestras nuestros proxima proximo siguiente reunion "
    "reuniones sesion sesiones cita llamada mentoria programa pareja por favor gracias ahora "
    "una un esta este todo vez"
)

NEGATIONS = _words(
    "not never no don't dont doesn't won't can't cannot shouldn't wouldn't didn't isn't "
    "aren't mustn't needn't neither nor "
    "nicht nie niemals kein keine keinen nein "
    "ne n' pas jamais non aucun "
    "nunca jamas tampoco ni"
)

# After the command, these open a free reason that is not read ("pause for 3 weeks because
# I'm on leave"); for a reschedule, also the wished time ("move it to Thursday").
REASONS = _words(
    "because cause cos as since due while so "
    "weil da denn wegen "
    "car parce puisque comme vu "
    "porque pues ya debido como dado"
)
WISHED_TIME = _words("to for until auf zu a au à para al")

# "cancel" alone is ambiguous: the next meeting (skip) or the whole pairing (end).
CANCEL = _words("cancel call-off absagen annuler cancelar anular")
NEXT_MEETING = _words(
    "next upcoming coming one meeting session call chat conversation catch-up nachste "
    "nachstes nachsten kommende kommendes treffen termin gesprach sitzung prochaine prochain "
    "reunion "
    "rencontre rendez-vous seance proxima proximo siguiente sesion cita llamada"
)
WHOLE_PAIRING = _words(
    "pairing pair mentoring mentorship program programme tandem partnership subscription "
    "everything programm mentorat binome mentoria programa pareja"
)

# The words that may stand around a consent command (join, leave, no thanks): the program and
# little else, so that "I'll join the call" or "leave it to me" are not read as consent.
PROGRAM = _words(
    "the this our program programme tandem mentoring peer-mentoring scheme pilot initiative "
    "round rounds emails mails list in of from at to please thanks thank you now "
    "das dem den der die dieses programm tandem mentoring am beim im vom aus an bitte danke "
    "le la les l' du au des ce programme mentorat binome merci svp stp "
    "el la los las del al en de este programa mentoria gracias por favor"
)

# A line that opens with one of these and has a name or two after it greets ("Hi Ana,").
GREETINGS = _words(
    "hi hello hey dear morning hallo liebe lieber moin servus guten bonjour salut coucou "
    "cher chere hola buenos buenas estimado estimada querido querida"
)
# What may stand beside a weak command on its line ("No thanks, sorry!", "Nein danke, Gruß").
POLITE = _words(
    "thanks thank you so much sorry cheers best regards kind anyway again though bye ok okay "
    "danke trotzdem sorry gruss grusse viele liebe leider merci quand meme desole desolee "
    "cordialement bien gracias saludos igualmente lo siento perdon de todos modos"
)

# Before "help", these offer it rather than ask for it ("happy to help", "glad to help").
OFFERS = _words("happy glad ready always")

# Requests to change something that Tandem has no word for: a reply that opens with one of
# these is answered with the list of words ("hold the meetings", "delete me").
UNKNOWN_REQUESTS = _words(
    "hold halt delete remove withdraw unregister deregister unenroll unenrol freeze snooze "
    "defer delay unpair "
    "stornieren loschen entfernen austragen verzogern "
    "supprimer retirer desabonner desinscrivez annulez "
    "borrar eliminar retirar aplazar retrasar"
)
# Everyday words one letter away from a command word, which are not misspelt commands.
NOT_MISSPELT = _words("cause causa pauses paused breaks")
