"""A strict fake of Google's Directory, Calendar, Gmail and OAuth2 token endpoint for tests.

The real google-api-python-client and google-auth talk to it unmodified over HTTP on
127.0.0.1; see :class:`GoogleFake` for the addresses to give them.
"""

from .auth import GOOGLE_TOKEN_URL, ServiceAccount, make_service_account_info
from .fake import GoogleFake
from .state import Notification, SentMail, User

__all__ = [
    "GOOGLE_TOKEN_URL",
    "GoogleFake",
    "Notification",
    "SentMail",
    "ServiceAccount",
    "User",
    "make_service_account_info",
]
