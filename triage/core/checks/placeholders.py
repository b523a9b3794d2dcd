"""The ``placeholders`` check: template placeholders left unfilled, and template debris.

Fails when the output (its first ``max_chars``) holds any of:

- double-brace fields: ``{{first_name}}``, ``{{ order.id }}``;
- single-brace fields of identifier shape and positional fields: ``{name}``,
  ``{customer_name}``, ``{0}``; printf fields: ``%s``, ``%d``, ``%(name)s``;
- bracketed placeholders: words in capitals of four letters or more (``[CUSTOMER NAME]``,
  ``[DATE]``, but not ``[OK]`` or ``[PDF]``) or up to
  four words naming a thing to fill in (``[Name]``, ``[Your Name]``, ``[order number]``);
- angle placeholders: ``<insert date>``, ``<enter name here>``, ``<first_name>``,
  ``<Customer Name>`` (a bare name in angle brackets that is not an HTML tag);
- debris: ``TODO``, ``TBD``, ``FIXME``, ``XXX`` (as words, in capitals) and
  ``lorem ipsum``.

It does not flag markdown links (``[the guide](https://…)``) or reference-style links
(``[guide][1]``), HTML tags (``<br>``, ``<p>``, ``<td nowrap>``, ``</div>``), generics
glued to a word (``List<String>``), e-mail addresses in angle brackets, empty braces
``{}``, JSON objects, or footnote marks (``[1]``). For ``code_change`` items, where code
legitimately holds braces, ``%s``, ``<T>`` and TODO comments, only the bracketed
placeholders, ``<insert …>`` and ``lorem ipsum`` count.

Example: ``Hi {{first_name}}, your order [ORDER NUMBER] is on its way.`` fails with
``unfilled placeholders: "{{first_name}}", "[ORDER NUMBER]"``.
"""

from __future__ import annotations

import re
from typing import Final

from triage.core.checks.result import FAILED, PASSED, CheckResult
from triage.core.checks.text import ItemText, clip

__all__ = ["CODE_TASK_TYPES", "check_placeholders"]

_PASSED: Final = CheckResult("placeholders", PASSED)
"""The result when nothing is found: one value, as results are immutable."""

CODE_TASK_TYPES: Final = frozenset({"code_change"})
"""Task types whose output is code: braces, ``%s``, ``<T>`` and TODO are not debris there."""

_SHOWN: Final = 3
"""Placeholders quoted in the evidence."""

# Words that name something to fill in, for title-case brackets such as [Name].
_FILL_WORDS: Final = (
    r"name|first[ _]?name|last[ _]?name|full[ _]?name|customer|client|recipient|company|"
    r"date|time|address|e-?mail|phone|number|amount|price|order|order[ _]?(?:number|id)|"
    r"product|item|link|url|signature|title|city|location|insert|placeholder|here|value|"
    r"reference|booking|invoice"
)
_HTML_TAGS: Final = frozenset(
    "a abbr address article aside audio b big blockquote body br button caption center cite "
    "code col colgroup dd del details dfn div dl dt em embed fieldset figcaption figure font "
    "footer form h1 h2 h3 h4 h5 h6 head header hr html i iframe img input ins kbd label "
    "legend li link main mark meta nav noscript object ol optgroup option output p param "
    "picture pre q s samp script section select small source span strike strong style sub "
    "summary sup svg table tbody td template textarea tfoot th thead time title tr tt u ul "
    "var video wbr path g".split()
)

# One pattern per character a placeholder starts with, run only on an output holding
# that character: most outputs hold none of them, and one pattern of every form tried
# at every position costs five times more.
_BRACES: Final = re.compile(
    r"(?P<double>\{\{[^{}\n]{0,60}\}\})"
    r"|(?P<brace>(?<!\{)\{(?:[A-Za-z_][A-Za-z0-9_.]{0,40}|\d)\}(?!\}))"
)
_PRINTF: Final = re.compile(r"(?P<printf>(?<![\w%])%(?:\([A-Za-z_]\w{0,30}\))?[sd](?![A-Za-z]))")
_BRACKET: Final = re.compile(
    r"(?P<bracket>\[(?:[A-Z][A-Z0-9_]*(?:[ _-][A-Z0-9_]+){0,4}"
    r"|(?i:(?:(?:your|the|customer|client|recipient|first|last|full|company)[ _])?"
    rf"(?:{_FILL_WORDS})"
    r"(?:[ _][A-Za-z]+){0,2}))\](?![(\[:]))"
)
_ANGLE: Final = re.compile(
    r"(?P<insert>(?i:<\s*(?:insert|enter|add|put|your)\b[^<>\n]{0,60}>))"
    r"|(?P<angle>(?<![\w<])<(?P<tag>[A-Za-z][A-Za-z0-9_]*)(?P<rest>(?:[ _][A-Za-z0-9_]+){0,3})>)"
)
_DEBRIS: Final = re.compile(r"(?P<debris>\b(?:TODO|TBD|FIXME|XXX)\b)")
_LOREM: Final = re.compile(r"(?P<lorem>lorem ipsum)")
_BY_HINT: Final = (("{", _BRACES), ("%", _PRINTF), ("[", _BRACKET), ("<", _ANGLE))
_DEBRIS_WORDS: Final = ("TODO", "TBD", "FIXME", "XXX")
_ORDER: Final = {
    kind: i
    for i, kind in enumerate(
        ("double", "brace", "printf", "bracket", "insert", "angle", "debris", "lorem")
    )
}
"""Which form wins when two start at the same place."""
_MAX_MATCHES: Final = 2_000
_HINTS: Final = ("{", "[", "<", "%", "TODO", "TBD", "FIXME", "XXX")
"""Substrings one of which every placeholder holds: a cheap test before the scan."""
_CODE_SKIPS: Final = frozenset({"double", "brace", "printf", "angle", "debris"})


def _matches(text: ItemText) -> list[re.Match[str]]:
    """Every form's matches, in order of where they start, none overlapping an earlier
    one (as one scan of all the forms would read them)."""
    out = text.output
    found: list[tuple[int, int, re.Match[str]]] = []
    for hint, pattern in _BY_HINT:
        if hint in out:
            for match in pattern.finditer(out):
                found.append((match.start(), _ORDER[match.lastgroup or ""], match))
                if len(found) >= _MAX_MATCHES:
                    break
    if any(word in out for word in _DEBRIS_WORDS):
        found.extend((m.start(), _ORDER["debris"], m) for m in _DEBRIS.finditer(out))
    if "lorem" in text.lower:
        # Matched on the lower-cased copy (same indices), shown as written.
        for m in _LOREM.finditer(text.lower):
            found.append((m.start(), _ORDER["lorem"], m))
    found.sort(key=lambda f: (f[0], f[1]))
    kept: list[re.Match[str]] = []
    end = -1
    for start, _, match in found:
        if start >= end:
            kept.append(match)
            end = match.end()
    return kept


def check_placeholders(text: ItemText) -> CheckResult:
    """The ``placeholders`` check on one item: see the module's docstring."""
    out = text.output
    hinted = any(h in out for h in _HINTS) or "lorem" in text.lower
    if not hinted:
        return _PASSED
    code = text.task_type in CODE_TASK_TYPES
    found: list[str] = []
    for match in _matches(text):
        kind = match.lastgroup
        if kind is None or (code and kind in _CODE_SKIPS):
            continue
        written = out[match.start() : match.end()]
        if kind == "bracket" and written.isupper() and len(written) < 6:
            continue  # [X], [OK], [PDF], [WIP]: a checkbox or a tag, not a field
        if kind == "angle":
            tag, rest = match.group("tag"), match.group("rest")
            if tag.lower() in _HTML_TAGS or (rest and tag.islower() and "_" not in tag):
                continue  # <br>, <td nowrap>, <a title>: markup
        quoted = clip(written, 40)
        if quoted not in found:
            found.append(quoted)
        if len(found) > _SHOWN:
            break
    if not found:
        return _PASSED
    shown = ", ".join(f'"{f}"' for f in found[:_SHOWN])
    more = ", …" if len(found) > _SHOWN else ""
    noun = "placeholder" if len(found) == 1 else "placeholders"
    return CheckResult("placeholders", FAILED, f"unfilled {noun}: {shown}{more}")
