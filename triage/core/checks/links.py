"""The ``links`` check: links in the output to domains nothing vouches for.

Finds ``http://`` and ``https://`` URLs and bare ``www.`` addresses in the output (its
first ``max_chars``) and takes each one's host, lower-cased, without port, trailing dot
or user part (``https://shop.example@evil.example/`` goes to ``evil.example``). A host
is vouched for when it, or a parent domain of it with at least two labels (and more
than a shared suffix such as ``co.uk``), appears as a whole domain name in the request
(input and transcript) or in any tool call's arguments or result, or when it is one of
``settings.link_domains`` or a subdomain of one. The check fails on the first hosts
nothing vouches for.

It does not look at bare domains without ``www.`` or a scheme (``example.com`` in a
sentence), at ``mailto:`` or other schemes, or at where a link's path leads: a link to
the right domain with a made-up path passes.

Example: the output says ``reset it at https://lindenloom-help.example/reset`` while
the request and the tool results only mention ``lindenloom.com``: fails with ``links to
lindenloom-help.example (not in the request, the tool results or the allowed
domains)``.
"""

from __future__ import annotations

import re
from typing import Final

from triage.core.checks.result import FAILED, PASSED, CheckResult
from triage.core.checks.text import ItemText, clip

__all__ = ["check_links", "link_hosts"]

_PASSED: Final = CheckResult("links", PASSED)
"""The result when nothing is found: one value, as results are immutable."""

_SHARED_SUFFIXES: Final = frozenset(
    "co.uk org.uk ac.uk gov.uk me.uk ltd.uk plc.uk net.uk com.au net.au org.au co.nz "
    "org.nz co.jp ne.jp or.jp co.kr co.in co.za com.br com.mx com.ar com.cn com.tr "
    "com.sg com.hk co.il com.pl co.id github.io herokuapp.com azurewebsites.net "
    "cloudfront.net amazonaws.com appspot.com vercel.app netlify.app pages.dev".split()
)
"""Two-label suffixes shared by unrelated owners: seeing one vouches for nobody."""
_SHOWN: Final = 3
_MAX_LINKS: Final = 200

_URL: Final = re.compile(
    r"(?i)(?:\bhttps?://(?P<auth>[^\s/?#<>\"'()\[\]{}\\]{1,300})|(?<![\w.@/-])(?P<www>www\.[a-z0-9.-]{1,250}))"
)
_HOST: Final = re.compile(
    r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?)*"
)


def link_hosts(output: str) -> list[str]:
    """The hosts of the links in ``output``, lower-cased, each once, in order."""
    hosts: list[str] = []
    for match in _URL.finditer(output):
        raw = match.group("auth") or match.group("www") or ""
        raw = raw.rpartition("@")[2].lower()
        if raw.startswith("["):
            continue  # an IPv6 literal: no domain to vouch for
        host = _HOST.match(raw)
        if host is None:
            continue
        name = host.group().rstrip(".")
        if name and name not in hosts:
            hosts.append(name)
            if len(hosts) >= _MAX_LINKS:
                break
    return hosts


def _candidates(host: str) -> list[str]:
    """``host`` and its parent domains that may vouch for it, longest first."""
    labels = host.split(".")
    out = [host]
    for i in range(1, len(labels) - 1):
        parent = ".".join(labels[i:])
        if parent in _SHARED_SUFFIXES:
            break
        out.append(parent)
    return out


def _named_in(domain: str, haystack: str) -> bool:
    """Whether ``domain`` appears in ``haystack`` as a whole domain name (a subdomain of
    it counts: ``mail.example.com`` names ``example.com``)."""
    start = haystack.find(domain)
    size = len(domain)
    while start >= 0:
        before = haystack[start - 1] if start else " "
        after = haystack[start + size : start + size + 2]
        ends = (
            not after
            or not (after[0].isalnum() or after[0] in "-_")
            and not (after[0] == "." and len(after) > 1 and after[1].isalnum())
        )
        if (not (before.isalnum() or before in "-_")) and ends:
            return True
        start = haystack.find(domain, start + 1)
    return False


def _allowed(host: str, domains: frozenset[str]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def check_links(text: ItemText, link_domains: frozenset[str]) -> CheckResult:
    """The ``links`` check on one item: see the module's docstring."""
    low = text.lower
    if "http" not in low and "www." not in low:
        return _PASSED
    hosts = link_hosts(low)
    if not hosts:
        return _PASSED
    domains = frozenset(d.strip().lower().strip(".") for d in link_domains if isinstance(d, str))
    unknown: list[str] = []
    haystack: str | None = None
    for host in hosts:
        if _allowed(host, domains):
            continue
        if haystack is None:
            haystack = text.haystack.lower()
        if not any(_named_in(c, haystack) for c in _candidates(host)):
            unknown.append(host)
    if not unknown:
        return _PASSED
    shown = ", ".join(clip(h, 60) for h in unknown[:_SHOWN])
    more = f" and {len(unknown) - _SHOWN} more" if len(unknown) > _SHOWN else ""
    return CheckResult(
        "links",
        FAILED,
        f"links to {shown}{more} (not in the request, the tool results or the allowed domains)",
    )
