"""A workspace whose every text field is hostile: escape sequences that would set
the terminal title, write the clipboard and clear the screen, a C1 control, bidi
overrides, a NUL, and rich/Textual markup and emoji codes.

Used by the command-line and the app hostile-text suites: whatever they print or
show must contain none of :data:`RAW` and show :data:`MARKUP` literally.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ESCAPES = "\x1b]0;pwned\x07\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J"
"""Set the window title, write ``rm -rf ~`` to the clipboard, clear the screen."""

MARKUP = "[bold red]x[/]"
"""Markup that must show as these characters, not as red bold text."""

HOSTILE = (
    f":smile: {MARKUP} [link=file:///etc/passwd]l[/link] [@click=app.quit]q[/] "
    f"{ESCAPES}\x9b31m\u202eevil\u202c\x00!"
)

NAMED = HOSTILE.replace("\x00", "")
"""The same for names (ids, agents, task types, models), which may not hold a NUL."""

RAW = ("\x1b", "\x07", "\x00", "\u202e", "\u202c", *map(chr, range(0x80, 0xA0)))
"""What must never reach the terminal."""

ITEMS = 12
MODE = "m" + NAMED
"""A failure mode id as ``triage verdict --mode`` creates it."""


def hostile(label: str) -> str:
    """A hostile value that still says which field it is."""
    return label + HOSTILE


def name(label: str) -> str:
    """A hostile name (no NUL) that still says which field it is."""
    return label + NAMED


def item_id(n: int) -> str:
    return f"h{n:02d}{NAMED}"


def records(now: datetime | None = None) -> list[dict[str, Any]]:
    """``ITEMS`` native records of one hostile agent and task type, created in the
    last hours (so they are today's queue and recent enough for suggestions)."""
    now = now or datetime.now(UTC)
    out = []
    for n in range(1, ITEMS + 1):
        created = now - timedelta(minutes=10 * n)
        out.append(
            {
                "id": item_id(n),
                "created_at": created.isoformat().replace("+00:00", "Z"),
                "agent": name("agent"),
                "task_type": name("task"),
                "model": name("model"),
                "input": hostile("input ") + f" #{n}",
                "output": hostile("output ") * 3 + f" #{n}",
                "meta": {"customer_facing": False, "k" + HOSTILE: hostile("v")},
                "tool_calls": [
                    {
                        "name": hostile("tool"),
                        "arguments": {"a": HOSTILE},
                        "result": hostile("result"),
                        "is_error": n == 1,
                    }
                ],
                "transcript": [{"role": "user", "content": hostile("turn")}],
            }
        )
    return out


def write_items(path: Path) -> Path:
    """The hostile records and one malformed line that quotes hostile text."""
    lines = [json.dumps(r) for r in records()]
    lines.append(json.dumps({"id": name("bad"), "created_at": HOSTILE}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _toml(text: str) -> str:
    # A JSON string (ASCII, \\u escapes) is a valid TOML basic string.
    return json.dumps(text)


def hostile_rule(lane: str = "scan", *, rule_id: str = "hostile-watch") -> str:
    """A rule file naming the hostile task type, with hostile why, owner and notes."""
    condition = f"task_type == {json.dumps(name('task'), ensure_ascii=False)}"
    return (
        "[[rule]]\n"
        f'id = "{rule_id}"\n'
        f'lane = "{lane}"\n'
        f"why = {_toml(hostile('why'))}\n"
        f"owner = {_toml(hostile('owner'))}\n"
        f"notes = {_toml(hostile('notes'))}\n"
        f"when = {_toml(condition)}\n"
    )


def add_rules(rules: Path) -> None:
    """Add the hostile rule to the rules folder ``rules``."""
    (rules / "hostile.toml").write_text(hostile_rule(), encoding="utf-8")


def draft_rules(rules: Path, folder: Path, *, broken: bool = False) -> Path:
    """A copy of ``rules`` where the hostile rule sends the items deep (a backtest
    lists them as newly deep), or, ``broken``, names a hostile lane."""
    shutil.copytree(rules, folder)
    text = hostile_rule("deep")
    if broken:
        text = text.replace('lane = "deep"', f"lane = {_toml(hostile('lane'))}")
    (folder / "hostile.toml").write_text(text, encoding="utf-8")
    return folder


def shows_nothing_raw(text: str) -> list[str]:
    """The forbidden characters present in ``text`` (empty when it is inert)."""
    return sorted({f"U+{ord(c):04X}" for c in text if c in RAW})
