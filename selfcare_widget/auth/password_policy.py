"""What a new password must be (OWASP ASVS 4.0 § 2.1): long enough, not breached, not guessable.

No composition rules (ASVS 2.1.9). Breached and guessable passwords are told by zxcvbn: its
lists hold the 30 000 most common passwords of a 10-million-password leak and common words and
names, and its estimate catches what such lists miss (sequences, repeats, keyboard walks,
dates, the customer's own e-mail or number).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from flask_babel import gettext as _

MIN_LENGTH = 12  # ASVS 2.1.1
MAX_LENGTH = 128  # ASVS 2.1.2 asks to allow at least 64
#: zxcvbn score 3: "safely unguessable", about 10^10 guesses.
MIN_SCORE = 3
_SPACES = re.compile(r" {2,}")


@lru_cache(maxsize=1)
def _breached() -> frozenset[str]:
    # zxcvbn's frequency lists are a large module: loaded on the first password set, not at start.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str, personal: Sequence[str] = ()) -> str | None:
    """Why ``password`` cannot be used, in the customer's language; None when it can.

    ``personal`` lists what the customer's password must not be built from (e-mail, number, name).
    """
    length = len(_SPACES.sub(" ", password))  # ASVS 2.1.1 counts runs of spaces as one
    if length < MIN_LENGTH:
        return str(
            _(
                "Use at least %(count)d characters. A few unrelated words make a strong password.",
                count=MIN_LENGTH,
            )
        )
    if len(password) > MAX_LENGTH:
        return str(_("Use at most %(count)d characters.", count=MAX_LENGTH))
    if password.lower() in _breached():
        return str(_("This password appears in lists of leaked passwords. Please choose another one."))
    from zxcvbn import zxcvbn

    hints = [p for p in personal if p]
    if zxcvbn(password[:MAX_LENGTH], user_inputs=hints)["score"] < MIN_SCORE:
        return str(_("This password is too easy to guess. A few unrelated words make a strong password."))
    return None
