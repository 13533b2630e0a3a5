"""The `tandem` command. Exit codes: 0 done, 1 a user error (a reason on stderr), 2 bad usage,
3 an unexpected failure.

Each command lives in its own module of scheduler/cli/ and is imported only when it runs, so
`tandem --help` and `tandem validate` do not pay for the store, the providers or the workers.
COMMANDS names each one with the one-line help that `tandem --help` shows (a test checks that
it matches the command's own).
"""

from __future__ import annotations

import sys

import click

EPILOG = """\b
Exit codes: 0 done, 1 a problem in your files or settings (the reason is on stderr), 2 a
mistyped command, 3 an unexpected failure (a traceback without personal data is on stderr).

\b
Examples:
  tandem validate examples/program.yaml
  tandem pair --people org.csv --config program.yaml --history past.csv --seed 7 --out pairs.csv
  tandem preview examples/program.yaml --out preview/
  tandem run examples/program.yaml
  tandem pairs pause examples/program.yaml p7k2m9q4 --until 2027-03-01
"""

# name: (module:attribute, the one-line help shown by `tandem --help`)
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": (
        "scheduler.cli.validate:validate",
        "Check a program file (and, for a local provider, its people CSV) and summarise it.",
    ),
    "check": (
        "scheduler.cli.check:check",
        "Contact the provider and try each permission the program needs; change nothing.",
    ),
    "pair": (
        "scheduler.cli.pair:pair",
        "Pair the people of a CSV under a program's pairing rules (its provider is not used).",
    ),
    "preview": (
        "scheduler.cli.run:preview",
        "A dry run: what `tandem run` would do now, written into OUT; nothing is sent or stored.",
    ),
    "run": (
        "scheduler.cli.run:run",
        "Run one full cycle now, inline: sync, pair, book, send, read replies.",
    ),
    "status": (
        "scheduler.cli.status:status",
        "Pairs, meetings, at-risk pairs, the outbox and the inbox, failures and their reasons.",
    ),
    "pairs": (
        "scheduler.cli.pairs:pairs",
        "List pairs, or pause, resume, end or skip one as HR.",
    ),
    "explain": (
        "scheduler.cli.explain:explain",
        "Why a person is paired with whom, or why they wait; their meetings and emails.",
    ),
    "parse-reply": (
        "scheduler.cli.parse_reply:parse_reply",
        "Print, as JSON, what Tandem reads in an email: why it did (or did not) pause, and the "
        "day and time a pair proposed.",
    ),
    "migrate": (
        "scheduler.cli.migrate:migrate",
        "Bring the program's database schema up to date; run it before starting workers.",
    ),
    "worker": (
        "scheduler.cli.workers:worker",
        "Run the dramatiq workers (TANDEM_REDIS_URL names the Redis).",
    ),
    "clock": (
        "scheduler.cli.workers:clock",
        "Enqueue each job at its rhythm (the program's `workers:`); safe on two machines.",
    ),
}


class LazyCommands(click.Group):
    """A group whose commands are imported when one runs; `--help` lists them from COMMANDS."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return load_command(cmd_name) if cmd_name in COMMANDS else None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, short) for name, (_, short) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def load_command(name: str) -> click.Command:
    """The command itself, imported now."""
    from importlib import import_module

    where, attribute = COMMANDS[name][0].split(":")
    command = getattr(import_module(where), attribute)
    assert isinstance(command, click.Command)
    return command


@click.group(
    cls=LazyCommands, context_settings={"help_option_names": ["-h", "--help"]}, epilog=EPILOG
)
@click.version_option(package_name="tandem")
def cli() -> None:
    """Tandem: peer mentoring that lives in email and calendars."""


def main() -> None:
    """The `tandem` command. A failure that is not the user's to fix exits 3 with a traceback
    whose messages carry no personal data."""
    _log_safely()
    try:
        cli(prog_name="tandem")
    except Exception as error:  # anything click did not turn into an exit code
        from scheduler.crash_report import safe_traceback

        sys.stderr.write(safe_traceback(error))
        sys.stderr.write(
            "tandem: an unexpected error stopped this command; nothing done before it is lost, "
            "and running it again continues the work.\n"
        )
        raise SystemExit(3) from None


def _log_safely() -> None:
    """Warnings and errors to stderr, their tracebacks redacted."""
    import logging

    from scheduler.crash_report import RedactingFormatter

    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(handler)
        root.setLevel(logging.WARNING)


if __name__ == "__main__":  # pragma: no cover
    main()
