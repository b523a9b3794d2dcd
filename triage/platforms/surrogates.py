"""Strings that decode from JSON but are not text: unpaired UTF-16 surrogates.

JSON may spell a character as ``\\u`` and four hex digits, and nothing stops a writer from
emitting half of a surrogate pair (``"\\ud800"``). Python decodes it into a string
that cannot be encoded as UTF-8, so it could be neither stored nor shown. Such escapes
are rare (most writers emit non-ASCII text as UTF-8, and escaped emoji come as whole
pairs), so readers screen the raw bytes with :data:`SURROGATE_ESCAPE` and check only
the records that match.
"""

from __future__ import annotations

import json
import re
from typing import Final

__all__ = ["SURROGATE_ESCAPE", "UNPAIRED_SURROGATE_REASON", "unpaired_surrogate"]

SURROGATE_ESCAPE: Final = re.compile(rb"\\u[dD][89a-fA-F]")
"""Matches raw JSON that may hold an unpaired surrogate; check a match with
:func:`unpaired_surrogate`."""

UNPAIRED_SURROGATE_REASON: Final = (
    "contains an unpaired UTF-16 surrogate escape (such as \\ud800), which is not valid text"
)


def unpaired_surrogate(obj: object) -> bool:
    """Whether some string inside the decoded JSON value ``obj`` cannot be encoded as UTF-8."""
    try:
        json.dumps(obj, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    except (TypeError, ValueError, RecursionError):
        return False
    return False
