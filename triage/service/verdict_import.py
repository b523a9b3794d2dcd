"""Importing past verdicts: a team's spreadsheet or an earlier tool's export.

A file of labels is CSV (a header naming the columns ``id``, ``outcome``, ``modes``,
``note``, ``reviewer``, ``at`` in any order; ``id`` and ``outcome`` required, modes
separated by ``;``) or JSON Lines (``{"id", "outcome", "modes": [...], "note",
"reviewer", "at"}``), told by the extension (``.csv``, ``.jsonl``, ``.ndjson``, each
optionally ``.gz``) or else by the first line; gzip is recognised by its bytes.

- **Idempotent.** Each verdict's key is derived from (source, item id, outcome,
  modes, note, reviewer, at), so importing a file again finds every key and writes
  nothing. A line whose item already has the same verdict in force (outcome, modes,
  note) counts as unchanged too.
- **A bad line never stops the import.** It is reported with its line number and
  reason and skipped: an unknown or ambiguous item, a bad outcome, time or mode id,
  a NUL character, an empty id, a line repeating an earlier one, malformed CSV or
  JSON, and a past label older than the verdict in force on its item (a later
  verdict is never overridden by an older label).
- **Whole batches.** Lines are written :data:`BATCH` at a time, each batch in one
  transaction (:meth:`Reviews.record_many`), every verdict with its failure-mode
  links and audit entry. A crash leaves whole batches; running the import again
  writes the rest. Failure modes not yet in the model are created (by
  :meth:`FailureModel.tag`) before the batch that needs them; an escalation lifts
  its item to ``deep`` after its batch is written (again on a re-run, if a crash
  came in between); write-back is queued as for a single verdict.
- ``at`` (ISO 8601, no zone meaning UTC) is the verdict's recorded time, so a past
  label keeps its date; without it the verdict is dated when it is imported.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from triage.core.models import Outcome, VerdictRecord
from triage.errors import InvalidInput
from triage.platforms.lines import Line, lines_of
from triage.rules.checks import SLUG
from triage.storage.reviews import ItemRef, NewVerdict

if TYPE_CHECKING:
    from triage.service.workspace import Workspace

BATCH: Final = 500
"""Lines written per transaction."""

MAX_LINE_BYTES: Final = 1024 * 1024
"""The longest line read (a label with a note of a megabyte is not a label)."""

COLUMNS: Final = ("id", "outcome", "modes", "note", "reviewer", "at")
"""The fields of a label, as CSV columns and JSON keys."""
REQUIRED: Final = ("id", "outcome")

OUTCOMES: Final = {o.value: o for o in (Outcome.OK, Outcome.FAIL, Outcome.ESCALATE)}

_FUTURE_SLACK: Final = timedelta(minutes=5)
"""How far ahead of this machine's clock an ``at`` may be (another machine's clock)."""


@dataclass(frozen=True, slots=True)
class Rejected:
    """A line that was skipped, and why."""

    line: int
    """1-based line number in the file (of the first line, for a CSV record that spans
    several)."""
    reason: str


@dataclass
class ImportReport:
    """What an import did."""

    path: str
    """The file, as given."""
    imported: int = 0
    """Verdicts written."""
    unchanged: int = 0
    """Lines already in force or imported before."""
    rejected: list[Rejected] = field(default_factory=list)
    """Lines skipped, in file order."""
    created_modes: list[str] = field(default_factory=list)
    """Failure modes created for the verdicts, in the order created."""

    @property
    def accepted(self) -> int:
        """Lines that are now in the database: imported or found there."""
        return self.imported + self.unchanged

    def as_json(self) -> dict[str, Any]:
        """The ``--json`` report."""
        return {
            "imported": self.imported,
            "unchanged": self.unchanged,
            "rejected": [{"line": r.line, "reason": r.reason} for r in self.rejected],
            "created_modes": list(self.created_modes),
        }


@dataclass(frozen=True, slots=True)
class Label:
    """One line of the file, checked: a verdict to resolve and record."""

    line: int
    id: str
    outcome: Outcome
    modes: tuple[str, ...]
    note: str
    reviewer: str | None
    at: datetime | None


def import_verdicts(
    ws: Workspace,
    path: Path,
    *,
    source: str | None = None,
    reviewer: str,
    batch: int | None = None,
) -> ImportReport:
    """Import the labels of the file at ``path`` (see the module notes). ``source``
    restricts id lookup to that source; ``reviewer`` stands in for a line without
    one; ``batch`` is the lines per transaction (default :data:`BATCH`). A file that
    cannot be opened or read raises
    :class:`~triage.errors.SourceError`, and a CSV header with unknown or missing
    columns :class:`~triage.errors.InvalidInput`, before anything is written."""
    size = batch or BATCH
    report = ImportReport(str(path))
    run = _Run(ws, report, source=source, reviewer=reviewer)
    pending: list[Label] = []
    for entry in read_labels(path):
        if isinstance(entry, Rejected):
            report.rejected.append(entry)
            continue
        pending.append(entry)
        if len(pending) >= size:
            run.batch(pending)
            pending = []
    if pending:
        run.batch(pending)
    report.rejected.sort(key=lambda r: r.line)
    return report


# -- reading ------------------------------------------------------------------------


def read_labels(path: Path) -> Iterator[Label | Rejected]:
    """Every line of the file as a checked label, or as the reason it is rejected."""
    lines = lines_of(path, limit=MAX_LINE_BYTES)
    first: list[Line] = []
    for line in lines:
        first.append(line)
        if line.data.strip() or line.problem:
            break
    if not any(line.data.strip() or line.problem for line in first):
        return
    rest = chain(first, lines)
    if _is_jsonl(path, first[-1]):
        yield from _jsonl_labels(rest)
    else:
        yield from _csv_labels(rest, path)


def _is_jsonl(path: Path, first: Line) -> bool:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes[-1:] == [".gz"]:
        suffixes = suffixes[:-1]
    if suffixes[-1:] == [".csv"]:
        return False
    if suffixes[-1:] in ([".jsonl"], [".ndjson"], [".json"]):
        return True
    return first.data.lstrip().startswith(b"{")


def _jsonl_labels(lines: Iterable[Line]) -> Iterator[Label | Rejected]:
    for line in lines:
        if line.problem:
            yield Rejected(line.number, line.problem)
            continue
        if not line.data.strip():
            continue
        try:
            text = line.data.decode("utf-8")
        except UnicodeDecodeError:
            yield Rejected(line.number, "not valid UTF-8")
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError as error:
            yield Rejected(line.number, f"malformed JSON: {error.msg} (column {error.colno})")
            continue
        if not isinstance(value, dict):
            yield Rejected(line.number, f"malformed JSON: expected an object, not {_kind(value)}")
            continue
        unknown = sorted(set(value) - set(COLUMNS))
        if unknown:
            yield Rejected(line.number, f"unknown field(s) {', '.join(map(_quote, unknown))}")
            continue
        modes = value.get("modes")
        if isinstance(modes, list):
            if not all(isinstance(m, str) for m in modes):
                yield Rejected(line.number, "modes must be a list of text ids")
                continue
        elif modes is not None:
            yield Rejected(line.number, f"modes must be a list of text ids, not {_kind(modes)}")
            continue
        wrong = [
            name
            for name in ("id", "outcome", "note", "reviewer", "at")
            if value.get(name) is not None and not isinstance(value[name], str)
        ]
        if wrong:
            name = wrong[0]
            yield Rejected(line.number, f"{name} must be text, not {_kind(value[name])}")
            continue
        yield _label(line.number, {k: value.get(k) for k in COLUMNS if k != "modes"}, modes or [])


def _csv_labels(lines: Iterable[Line], path: Path) -> Iterator[Label | Rejected]:
    problems: dict[int, str] = {}

    def text_of(source: Iterable[Line]) -> Iterator[str]:
        for line in source:
            if line.problem:
                problems[line.number] = line.problem
                yield "\n"
                continue
            try:
                yield line.data.decode("utf-8") + "\n"
            except UnicodeDecodeError:
                problems[line.number] = "not valid UTF-8"
                yield "\n"

    reader = csv.reader(text_of(lines), strict=True)
    header: list[str] | None = None
    done = 0  # lines the reader has consumed
    while True:
        start = done + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            done = reader.line_num
            yield Rejected(start, _csv_reason(str(error)))
            continue
        done = reader.line_num
        bad = [n for n in range(start, done + 1) if n in problems]
        if bad:
            yield Rejected(bad[0], problems[bad[0]])
            continue
        if not row or not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = _header(row, start, path)
            continue
        if len(row) > len(header):
            yield Rejected(start, f"{len(row)} fields, but the header has {len(header)}")
            continue
        fields: dict[str, str | None] = dict.fromkeys(COLUMNS)
        fields.update(zip(header, row, strict=False))
        modes = (fields.pop("modes") or "").split(";")
        yield _label(start, fields, modes)


def _header(row: list[str], number: int, path: Path) -> list[str]:
    names = [cell.strip().lower() for cell in row]
    unknown = [n for n in names if n not in COLUMNS]
    where = f"{path}:{number}"
    if unknown:
        raise InvalidInput(
            f"{where}: unknown column(s) {', '.join(map(_quote, unknown))} in the header "
            f"(the columns are {', '.join(COLUMNS)})"
        )
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InvalidInput(f"{where}: column(s) {', '.join(twice)} named twice in the header")
    missing = [n for n in REQUIRED if n not in names]
    if missing:
        raise InvalidInput(f"{where}: the header has no {' or '.join(missing)} column")
    return names


def _csv_reason(message: str) -> str:
    if "unexpected end of data" in message:
        return "malformed CSV: a quoted field is not closed before the end of the file"
    return f"malformed CSV: {message}"


def _label(number: int, fields: dict[str, str | None], modes: list[str]) -> Label | Rejected:
    """Check one line's fields (text as read; ``None`` for absent)."""
    for name, value in [*fields.items(), *(("modes", m) for m in modes)]:
        if value is not None and "\x00" in value:
            return Rejected(number, f"NUL character in {name}")
    item_id = (fields.get("id") or "").strip()
    if not item_id:
        return Rejected(number, "empty id")
    written = (fields.get("outcome") or "").strip()
    outcome = OUTCOMES.get(written.lower())
    if outcome is None:
        return Rejected(number, f"bad outcome {_quote(written)} (expected ok, fail or escalate)")
    ids = list(dict.fromkeys(m.strip() for m in modes if m.strip()))
    for mode in ids:
        if not SLUG.fullmatch(mode):
            return Rejected(
                number,
                f"invalid failure mode id {_quote(mode)}: use lowercase letters, digits and dashes",
            )
    if ids and outcome is Outcome.OK:
        return Rejected(number, "failure modes tag a failure; this line's outcome is ok")
    at_text = (fields.get("at") or "").strip()
    at: datetime | None = None
    if at_text:
        try:
            at = datetime.fromisoformat(at_text)
        except ValueError:
            return Rejected(
                number,
                f"bad at {_quote(at_text)}: expected an ISO 8601 time such as 2026-11-20T09:14:00Z",
            )
        at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
        if at > datetime.now(UTC) + _FUTURE_SLACK:
            return Rejected(number, f"at {_quote(at_text)} is in the future")
    reviewer = (fields.get("reviewer") or "").strip() or None
    note = fields.get("note") or ""
    return Label(number, item_id, outcome, tuple(sorted(ids)), note, reviewer, at)


def _quote(value: str, width: int = 80) -> str:
    """``value`` quoted for a reason, cut to ``width`` characters."""
    cut = value if len(value) <= width else value[: width - 1] + "\u2026"
    return repr(cut)


def _kind(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "text", bool: "true or false"}
    if value is None:
        return "null"
    return names.get(type(value), "a number")


# -- writing ------------------------------------------------------------------------


def verdict_key(item: ItemRef, label: Label, reviewer: str) -> str:
    """The verdict's idempotency key: the same line, imported again, has the same key."""
    at = label.at.isoformat() if label.at is not None else ""
    body = [item.source, item.item_id, label.outcome.value, list(label.modes), label.note]
    digest = hashlib.sha256(
        json.dumps([*body, reviewer, at], ensure_ascii=False).encode("utf-8")
    ).hexdigest()
    return f"import-{digest[:40]}"


@dataclass(frozen=True, slots=True)
class _InForce:
    """What counts of a verdict in force when a label meets it."""

    outcome: Outcome
    modes: tuple[str, ...]
    note: str
    reviewer: str
    at: datetime

    @classmethod
    def of(cls, record: VerdictRecord) -> _InForce:
        return cls(
            record.outcome, tuple(sorted(record.modes)), record.note, record.reviewer,
            record.recorded_at,
        )  # fmt: skip

    def same_verdict(self, other: _InForce) -> bool:
        """The same outcome, modes and note (whoever gave it, whenever)."""
        return (self.outcome, self.modes, self.note) == (other.outcome, other.modes, other.note)


@dataclass(frozen=True, slots=True)
class _Line:
    """A label resolved to its item, with its reviewer and key."""

    label: Label
    item: ItemRef
    reviewer: str
    key: str


class _Run:
    """One import: what it has seen so far, and the batches it writes."""

    def __init__(
        self, ws: Workspace, report: ImportReport, *, source: str | None, reviewer: str
    ) -> None:
        self.ws = ws
        self.report = report
        self.source = source
        self.reviewer = reviewer
        self.keys: dict[str, int] = {}
        """Key → the line that first gave it (a later line with it repeats that one)."""
        self.modes = {m.id for m in ws.reviews.failure_modes(active_only=False)}
        """Failure-mode ids in the model."""

    def reject(self, label: Label, reason: str) -> None:
        self.report.rejected.append(Rejected(label.line, reason))

    def batch(self, labels: list[Label]) -> None:
        """Resolve, check and write one batch of labels."""
        lines = self.resolve(labels)
        stored = self.ws.reviews.stored_keys([line.key for line in lines])
        fresh: list[_Line] = []
        for line in lines:
            if line.key in stored:
                self.report.unchanged += 1
                self.follow_up_stored(line)
            else:
                fresh.append(line)
        fresh = self.against_force(fresh)
        if not fresh:
            return
        for line in fresh:
            for mode in line.label.modes:
                if mode not in self.modes:
                    created = self.ws.failure_model.tag(
                        mode, line.item.task_type, actor=line.reviewer
                    )
                    self.modes.add(mode)
                    self.report.created_modes.append(created.id)
        drafts = [
            NewVerdict(
                item_pk=line.item.pk,
                reviewer=line.reviewer,
                outcome=line.label.outcome,
                key=line.key,
                modes=line.label.modes,
                note=line.label.note,
                recorded_at=line.label.at,
            )
            for line in fresh
        ]
        records = {record.key: record for record in self.ws.reviews.record_many(drafts)}
        self.report.imported += len(records)
        self.report.unchanged += len(fresh) - len(records)  # stored meanwhile by another
        lifted = [ln for ln in fresh if ln.key in records and ln.label.outcome is Outcome.ESCALATE]
        self.escalate(lifted)
        for line in fresh:
            record = records.get(line.key)
            if record is not None:
                self.send_back(record, line.item)

    def resolve(self, labels: list[Label]) -> list[_Line]:
        """Find each label's item and derive its key; reject what cannot be."""
        found = self.ws.reviews.item_refs([label.id for label in labels], source=self.source)
        colon = [label.id for label in labels if label.id not in found and ":" in label.id]
        by_source: dict[str, list[ItemRef]] = {}
        if colon and self.source is None:
            # ``source:id``, as `triage verdict` takes it, for an id no item has as such.
            for ref in colon:
                name, _, item_id = ref.partition(":")
                hits = self.ws.reviews.item_refs([item_id], source=name).get(item_id, [])
                by_source[ref] = hits
        out: list[_Line] = []
        for label in labels:
            items = found.get(label.id) or by_source.get(label.id) or []
            if not items:
                where = f" in source {_quote(self.source)}" if self.source else ""
                self.reject(label, f"no item {_quote(label.id)}{where}")
                continue
            if len(items) > 1:
                names = ", ".join(sorted({item.source for item in items}))
                self.reject(
                    label,
                    f"id {_quote(label.id)} is in several sources ({names}); "
                    "name one with --source",
                )
                continue
            reviewer = label.reviewer or self.reviewer
            key = verdict_key(items[0], label, reviewer)
            first = self.keys.setdefault(key, label.line)
            if first != label.line:
                self.reject(label, f"duplicate of line {first}")
                continue
            out.append(_Line(label, items[0], reviewer, key))
        return out

    def against_force(self, lines: list[_Line]) -> list[_Line]:
        """Lines to write, given the verdicts in force: the same verdict in force counts
        as unchanged, and a label older than the verdict in force is rejected. Several
        lines on one item apply in file order."""
        pks = sorted({line.item.pk for line in lines})
        current = {pk: _InForce.of(r) for pk, r in self.ws.reviews.current(pks).items()}
        out: list[_Line] = []
        stamp = datetime.now(UTC)
        for line in lines:
            label = line.label
            here = _InForce(
                label.outcome, label.modes, label.note, line.reviewer, label.at or stamp
            )
            there = current.get(line.item.pk)
            if there is not None:
                if there.same_verdict(here):
                    self.report.unchanged += 1
                    continue
                if there.at > here.at:
                    self.reject(
                        label,
                        f"a later verdict is in force on {line.item.source}:{line.item.item_id}"
                        f" ({there.outcome} by {_quote(there.reviewer, 40)} at "
                        f"{there.at:%Y-%m-%d %H:%M} UTC); an older label does not replace it",
                    )
                    continue
            current[line.item.pk] = here
            out.append(line)
        return out

    def follow_up_stored(self, line: _Line) -> None:
        """A line imported before: lift its escalation if a crash came between writing
        it and lifting the item."""
        if line.label.outcome is not Outcome.ESCALATE:
            return
        decision = self.ws.store.decision(line.item.pk)
        if decision is None or decision.escalated:
            return
        in_force = self.ws.reviews.current([line.item.pk]).get(line.item.pk)
        if in_force is not None and in_force.key == line.key:
            self.escalate([line])

    def escalate(self, lines: list[_Line]) -> None:
        """Lift the items of escalations to ``deep`` (as a single escalation does, by
        :meth:`Decision.escalate`), all in one write; an item lifted already stays."""
        lifts = {}
        for line in lines:
            decision = self.ws.store.decision(line.item.pk)
            if decision is not None and not decision.escalated:
                lifts[line.item.pk] = decision.escalate(
                    reviewer=line.reviewer, note=line.label.note
                )
        self.ws.store.record_decisions(list(lifts.items()))

    def send_back(self, record: VerdictRecord, item: ItemRef) -> None:
        source = self.ws.config.sources.get(item.source)
        if source is None or not source.write_back:
            return
        from triage.service.writeback import queue_verdict

        found = self.ws.store.items_by_pk([item.pk]).get(item.pk)
        if found is not None:
            queue_verdict(self.ws, record, found)
