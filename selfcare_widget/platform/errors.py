"""Domain errors raised by every platform adapter.

Views catch these and render a friendly fragment; raw platform errors never reach a customer.
"""

from __future__ import annotations


class PlatformError(Exception):
    """Base of all platform failures."""


class NotFound(PlatformError):
    """The resource does not exist (or is not visible to this caller)."""


class Rejected(PlatformError):
    """The platform refused the request by a business rule.

    ``code`` is the platform's machine code (e.g. ``simBlocked``) for which the widget has its
    own translated message; ``reason`` is the platform's human-readable text, shown when the
    code is unknown.
    """

    def __init__(self, code: str, reason: str = "") -> None:
        super().__init__(f"{code}: {reason}" if reason else code)
        self.code = code
        self.reason = reason


class Unavailable(PlatformError):
    """The platform could not be reached, timed out, failed or answered nonsense."""


class NotSupported(Unavailable):
    """The platform does not implement the call (``501 Not Implemented``): not an outage."""
