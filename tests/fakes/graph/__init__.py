"""A strict, stateful fake of Microsoft Graph v1.0 and the identity platform, over HTTPS on
127.0.0.1, for testing Tandem's Microsoft provider with the real msal and HTTP clients.

See `fake.FakeGraph` for the API; each module's docstring says which Graph behaviour it
reproduces and where that behaviour is documented or was observed.
"""

from .fake import FakeGraph
from .state import Notification
from .tls import ClientCertificate, client_certificate

__all__ = ["ClientCertificate", "FakeGraph", "Notification", "client_certificate"]
