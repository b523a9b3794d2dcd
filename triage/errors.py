"""The one family of errors triage raises on purpose.

Every error raised on purpose is a :class:`TriageError`: its message is a complete
sentence meant for the person at the keyboard (it names the file, setting, item or
URL concerned and never a credential). The command line turns one into
``error: message`` on stderr and a non-zero exit; the reviewer app into a notice.
Anything else that escapes is a bug and is allowed to look like one: neither face
catches built-in exceptions as if they were messages (``tests/test_error_family.py``
walks the package to hold every ``raise`` to this).

The subclasses say what a caller may do about it. Where an older, more specific
built-in meaning exists, the subclass keeps it as a second base (a
:class:`NotFound` is also a ``LookupError``), so ``except LookupError`` around a
lookup keeps working.
"""

from __future__ import annotations


class TriageError(Exception):
    """Something the user can act on; ``str(error)`` says what and where."""


class NotFound(TriageError, LookupError):
    """What was named (an item, a failure mode, a rule, a suggestion, a source) does not
    exist, or the name fits more than one (an id several sources have)."""

    def __str__(self) -> str:
        # LookupError's str() of a single argument is its repr (KeyError-style);
        # the message is meant to be read as written.
        return str(self.args[0]) if self.args else ""


class Refused(TriageError, PermissionError):
    """The action is not allowed to this person or in this state (not a lead, an
    item already reviewed, a file that may not be written)."""


class ReviewedMeanwhile(Refused):
    """A verdict was recorded (or undone) on the item by someone else after it was
    shown to this reviewer; nothing was written. ``current`` is the verdict now in
    force (a :class:`triage.core.models.VerdictRecord`, or ``None`` after an undo), so the
    caller can show it and let the reviewer decide to record theirs as a correction."""

    def __init__(self, message: str, current: object | None = None) -> None:
        super().__init__(message)
        self.current = current


class InvalidInput(TriageError, ValueError):
    """A value given on the command line, in a form or in a file is not acceptable."""


class ConfigError(TriageError):
    """The configuration (``triage.toml`` or an environment variable) is unreadable
    or invalid; the message names the file or variable and the setting."""


class SourceError(TriageError):
    """A source could not be read at all (missing file, refused credentials, endless
    paging…). The message names the path or URL but never a credential."""


class AuthRefused(SourceError):
    """The source refused the credentials (HTTP 401/403): the caller can name the
    environment variables they came from."""


class StorageError(TriageError):
    """The database cannot do what was asked: unreachable, read-only, full, busy,
    or not a triage database. Nothing was written by the failed operation."""


class DatabaseUnavailable(StorageError):
    """The database cannot be opened or reached (bad URL, refused connection)."""


class DatabaseReadOnly(StorageError):
    """The database (or its folder) may be read but not written."""


class DatabaseFull(StorageError):
    """The disk (or the database's size limit) is full: nothing more can be stored."""


class DatabaseBusy(StorageError):
    """Another process held the database's write lock for longer than we wait."""
