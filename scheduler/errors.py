"""Errors that are the user's to fix: the CLI prints them without a traceback and exits 1."""


class UserError(Exception):
    """Something in the user's files or settings is wrong; the message says what and where."""

    def for_the_user(self) -> str:
        """What the command prints: the message, or a heading over a list of problems."""
        return str(self)
