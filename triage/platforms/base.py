"""What a platform declares: the one shape every source kind fills in.

A platform is one module of :mod:`triage.platforms.adapters` that defines ``ADAPTER``,
an instance of an :class:`Adapter` subclass. It declares:

- ``kind``: its name in ``triage.toml`` (``kind = "langfuse"``), and ``title`` for people;
- ``formats``: the file formats its files come in (:class:`FileFormat`: the name
  ``--format`` and ``format =`` take, what detection looks for, how a unit is read), and
  how they are recognised: :meth:`Adapter.sniff` on a file's first JSON object,
  :meth:`Adapter.sniff_document` on a pretty-printed document's first key,
  :meth:`Adapter.whole_folder` on a folder's shape, :meth:`Adapter.leaves_out` for
  files of a folder that hold no items;
- how a configured source of its kind is read: :meth:`Adapter.open` gives a
  :class:`Pullable` (batches, a resume position, ``since``); file platforms inherit it
  from :class:`FileAdapter`;
- ``credentials``, the ``*_env`` settings naming the environment variables it needs,
  ``default_host``, and :meth:`Adapter.headers`, which turns their values into request
  headers (pinned to the host's origin by :class:`~triage.platforms.origins.Credential`);
- where it has one (``writes_back``), its write-back: :meth:`Adapter.payload` for a
  verdict (an undo too) and :meth:`Adapter.request`, how that payload is sent.

Everything here is light, and so is every adapter module: it imports its reader only
when it reads, so listing the platforms (for ``--format``, for validating
``triage.toml``) costs next to nothing. :mod:`triage.platforms.registry` collects them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from triage.errors import InvalidInput, SourceError
from triage.platforms.secrets import Secrets

if TYPE_CHECKING:
    import httpx

    from triage.config import Config
    from triage.config.schema import SourceConfig
    from triage.core.models import Item, VerdictRecord
    from triage.platforms import Batch
    from triage.platforms.common import Context, Emitted

__all__ = [
    "Adapter",
    "FileAdapter",
    "FileFormat",
    "Missing",
    "Pullable",
    "Reader",
    "Recognised",
    "Strength",
    "file_reader",
]

Reader = Callable[[datetime | None, str | None], Iterator["Batch"]]
"""Called with (since, position): where to start; both ``None`` reads everything."""


@dataclass(frozen=True)
class Pullable:
    """One resolved source: a label for messages, the source name items are stored
    under, and how to read it."""

    label: str
    source: str
    read: Reader
    credential_env: str | None = None
    """The environment variable(s) the credential came from, to name in auth errors."""
    resumable: bool = False
    """A configured source: its progress is remembered between pulls."""
    secrets: Secrets = field(default_factory=Secrets)
    """The secrets ``read`` masks in its errors and rejections."""


@dataclass(frozen=True)
class FileFormat:
    """One format files are read in, as ``triage pull --format`` and ``format =`` name it."""

    name: str
    looked_for: str
    """What detection looks for, as a message listing the formats says it:
    ``OTLP/JSON traces ({"resourceSpans":[…]})``."""
    records: Callable[[Path, Context], Iterator[Emitted]] | None = None
    """Reads one unit (a file, or a folder read as a whole) into items and rejections,
    which the caller batches; it imports the reader when called."""
    batches: Callable[[Path, Context, int], Iterator[Batch]] | None = None
    """Or: reads a whole file or folder itself, in batches of at most the given size
    (native items)."""
    suffixes: tuple[str, ...] = (".json", ".jsonl", ".ndjson")
    """The files of a folder that are read (or looked into), gzip-compressed too."""
    native: bool = False
    """The native item format: a file of one of ``suffixes`` that no format recognises is
    read as this one (its reader says what is wrong with each line); it is listed last
    in messages; and a ``[sources.NAME]`` table cannot force it with ``format``, as
    ``kind = "jsonl"`` is this format."""
    parts: Callable[[Path], Iterable[Path]] | None = None
    """The files whose sizes count for a unit's progress, when more than the unit itself
    (a trajectory export's manifest next to its events)."""

    def size(self, path: Path) -> int:
        """Bytes of the unit at ``path`` (with its parts), for progress."""
        return sum(_size(part) for part in (self.parts(path) if self.parts else (path,)))


class Strength(IntEnum):
    """How sure a recognition is; the strongest wins, ties go to the first adapter."""

    GENERIC = 0
    """Any record of the usual shape (native items: an ``id`` and a ``created_at``)."""
    SHAPE = 1
    """The record looks like this format's, without a key only it has."""
    MARKER = 2
    """A key or value only this format has (``resourceSpans``, ``"type":"session"``)."""


class Recognised(NamedTuple):
    """What :meth:`Adapter.sniff` found: the format, and how sure it is."""

    format: str
    strength: Strength


@dataclass(frozen=True)
class Missing:
    """A credential that cannot be read: its setting is not set (``variable`` is
    ``None``), or the environment variable it names is not."""

    setting: str
    variable: str | None

    def for_pull(self, name: str) -> str:
        """The message a pull of source ``name`` reports."""
        if self.variable is None:
            return f"sources.{name}: set {self.setting} to the name of the environment variable"
        return f"sources.{name}: environment variable {self.variable} is not set"

    def for_push(self, name: str) -> str:
        """The reason a push to source ``name`` gives for waiting."""
        if self.variable is None:
            return f"source {name} has no {self.setting} (the environment variable with its key)"
        return f"environment variable {self.variable} is not set (source {name})"


class Adapter:
    """One platform: what it is called, how its data is recognised and read, what
    credentials it needs, and how verdicts go back to it. Subclasses set the class
    attributes and override the methods that apply."""

    kind: str
    """The ``kind`` of its ``[sources.NAME]`` tables."""
    title: str
    """Its name for people (``Langfuse``)."""
    formats: tuple[FileFormat, ...] = ()
    """The file formats its files come in (none for platforms read through an API)."""
    credentials: tuple[str, ...] = ()
    """The settings naming the environment variables it cannot do without, in order."""
    default_host: str | None = None
    """The host used when the source has no ``url`` (its cloud)."""
    opens_urls: bool = False
    """Whether it reads a bare ``http(s)://`` URL given to ``triage pull`` (one does)."""
    writes_back: bool = False
    """Whether verdicts can be sent back to it (``write_back = true``)."""

    # -- recognising files -------------------------------------------------------------

    def sniff(self, record: Mapping[str, object]) -> Recognised | None:
        """The format of a file whose first JSON object is ``record``, if it is this
        platform's."""
        return None

    def sniff_document(self, key: str, value: str | None, head: bytes) -> str | None:
        """The format of a pretty-printed JSON document (or one whose first line is too
        long to read whole) from its first ``key``, that key's ``value`` when it is a
        string, and the ``head`` of the file."""
        return None

    def whole_folder(self, folder: Path) -> str | None:
        """The format of ``folder`` when it is read as one unit (a trajectory export);
        ``None`` too when the folder cannot be looked into (the walk reports that)."""
        return None

    def leaves_out(self, name: str, siblings: Set[str]) -> bool:
        """Whether the entry ``name`` of a folder (next to ``siblings``) holds no items
        of this platform's and is left alone (``sessions.json``, deleted sessions)."""
        return False

    # -- reading -----------------------------------------------------------------------

    def open(
        self, name: str, source: SourceConfig, config: Config, *, stored_as: str, in_force: Secrets
    ) -> Pullable:
        """The configured source ``name`` ready to read, its items stored under
        ``stored_as``; ``in_force`` are the secrets to mask in what it reports. Raises
        :class:`~triage.errors.SourceError` when a setting it needs is missing or a
        credential is not set."""
        raise SourceError(f"sources.{name}: a {self.kind} source cannot be pulled")

    def open_url(
        self, spec: str, config: Config, *, source_name: str | None, in_force: Secrets
    ) -> Pullable:
        """A bare URL given to ``triage pull`` ready to read (when ``opens_urls``);
        ``in_force`` are the secrets to mask in what it reports."""
        raise SourceError(f"a {self.title} source is not read from a bare URL")

    # -- credentials -------------------------------------------------------------------

    def keys(self, source: SourceConfig, environ: Mapping[str, str]) -> list[str] | Missing:
        """The values of the :attr:`credentials` of ``source``, in order, or the first
        one that cannot be read."""
        values: list[str] = []
        for setting in self.credentials:
            variable = getattr(source, setting)
            if not variable:
                return Missing(setting, None)
            value = environ.get(variable)
            if not value:
                return Missing(setting, variable)
            values.append(value)
        return values

    def variables(self, source: SourceConfig) -> list[str]:
        """The environment variables ``source``'s credentials come from."""
        return [v for v in (getattr(source, s) for s in self.credentials) if v]

    def headers(
        self, keys: Sequence[str], source: SourceConfig, environ: Mapping[str, str]
    ) -> dict[str, str]:
        """The request headers carrying ``keys`` (see :meth:`keys`); optional settings
        such as a workspace id are read from ``environ``."""
        return {}

    # -- write-back --------------------------------------------------------------------

    def payload(
        self,
        verdict: VerdictRecord,
        item: Item,
        *,
        score_name: str,
        undoes: VerdictRecord | None = None,
    ) -> dict[str, Any]:
        """The body that records ``verdict`` on ``item`` on the platform (for an undo,
        ``undoes`` is the verdict it withdraws). Raises
        :class:`~triage.errors.InvalidInput` when the item carries none of the
        platform's ids, or the platform takes no verdicts."""
        raise InvalidInput(f"verdicts cannot be written back to a {self.kind} source")

    def request(
        self, payload: Mapping[str, Any], base: httpx.URL
    ) -> tuple[str, httpx.URL, dict[str, Any]]:
        """(method, URL, body) that sends ``payload`` to the platform at ``base``."""
        raise InvalidInput(f"verdicts cannot be written back to a {self.kind} source")


class FileAdapter(Adapter):
    """A platform whose sources are files or folders (``path`` in its table)."""

    default_format: str | None = None
    """The format a configured source of this kind reads, unless it sets ``format``
    (``None``: told file by file)."""

    def open(
        self, name: str, source: SourceConfig, config: Config, *, stored_as: str, in_force: Secrets
    ) -> Pullable:
        if not source.path:
            raise SourceError(f"sources.{name}: a {self.kind} source needs path")
        path = config.source_path(source)
        if not path.exists():
            raise SourceError(f"sources.{name}: {path} does not exist")
        fmt = source.format or self.default_format
        reader = file_reader(
            path, stored_as, fmt, source.agent, source.task_type_field, config.max_record_bytes
        )
        return Pullable(name, stored_as, reader, resumable=True)


def file_reader(
    path: Path,
    source: str,
    fmt: str | None,
    agent: str | None,
    task_field: str | None,
    limit: int | None,
) -> Reader:
    """Reads the file or folder at ``path`` (see
    :func:`triage.platforms.detect.read_file_source`), as ``fmt`` or detected."""

    def read(since: datetime | None, position: str | None) -> Iterator[Batch]:
        from triage.platforms.detect import read_file_source
        from triage.platforms.lines import DEFAULT_MAX_RECORD_BYTES

        return read_file_source(
            path, source=source, format=fmt, agent=agent, task_type_field=task_field,
            max_record_bytes=limit or DEFAULT_MAX_RECORD_BYTES,
        )  # fmt: skip

    return read


def _size(path: Path) -> int:
    try:
        return path.stat().st_size if path.is_file() else 0
    except OSError:
        return 0
