"""LangSmith: the root runs of one project, verdicts back as feedback.

``kind = "langsmith"``. Settings: ``project`` (name or id, required), ``url`` (the API
host; default LangSmith's cloud), ``token_env`` (the variable holding the API key, sent
as ``x-api-key`` to the host's origin only), ``tenant_env`` (the workspace id, sent as
``X-Tenant-Id``, for keys that span several workspaces), ``agent``, ``task_type_field``,
``follow_redirects``, and ``write_back`` / ``score_name``. Reading and the mapping to
items: :mod:`triage.platforms.langsmith`.

Write-back (``write_back = true``): ``POST /api/v1/feedback`` on the run, ``key`` =
``score_name``, ``score`` 1 for ok and 0 for fail (none for escalate), ``value`` the
outcome, with an ``id`` derived from the verdict's key. An answer of 409 (that id exists
already) means an earlier attempt got through. An undo updates that feedback
(``PATCH /api/v1/feedback/{id}``): value ``undone``, no score.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from triage.core.models import Outcome
from triage.errors import InvalidInput, SourceError
from triage.platforms.base import Adapter, Missing, Pullable
from triage.platforms.secrets import Secrets

if TYPE_CHECKING:
    import httpx

    from triage.config import Config
    from triage.config.schema import SourceConfig
    from triage.core.models import Item, VerdictRecord
    from triage.platforms import Batch

__all__ = ["ADAPTER", "DEFAULT_HOST", "auth_headers", "feedback_payload"]

DEFAULT_HOST = "https://api.smith.langchain.com"

_SCORES = {Outcome.OK: 1, Outcome.FAIL: 0}


def auth_headers(api_key: str, tenant: str | None = None) -> dict[str, str]:
    """The headers that log in with an API key (and pick the workspace, when given)."""
    headers = {"x-api-key": api_key}
    if tenant:
        headers["X-Tenant-Id"] = tenant
    return headers


class LangSmith(Adapter):
    kind = "langsmith"
    title = "LangSmith"
    credentials = ("token_env",)
    default_host = DEFAULT_HOST
    writes_back = True

    def open(
        self, name: str, source: SourceConfig, config: Config, *, stored_as: str, in_force: Secrets
    ) -> Pullable:
        keys = self.keys(source, os.environ)
        if isinstance(keys, Missing):
            raise SourceError(keys.for_pull(name))
        (key,) = keys
        tenant = _tenant(source, os.environ)

        def read(since: datetime | None, position: str | None) -> Iterator[Batch]:
            from triage.platforms.langsmith import read_langsmith

            return read_langsmith(
                source, source=stored_as, api_key=key, tenant=tenant, since=since,
                position=position,
            )  # fmt: skip

        return Pullable(name, stored_as, read, source.token_env, resumable=True)

    def headers(
        self, keys: Sequence[str], source: SourceConfig, environ: Mapping[str, str]
    ) -> dict[str, str]:
        (key,) = keys
        return auth_headers(key, _tenant(source, environ))

    def payload(
        self,
        verdict: VerdictRecord,
        item: Item,
        *,
        score_name: str,
        undoes: VerdictRecord | None = None,
    ) -> dict[str, Any]:
        return feedback_payload(verdict, item, score_name=score_name, undoes=undoes)

    def request(
        self, payload: Mapping[str, Any], base: httpx.URL
    ) -> tuple[str, httpx.URL, dict[str, Any]]:
        if "run_id" not in payload:  # an undo: an update of the feedback ``id``
            body = {k: v for k, v in payload.items() if k != "id"}
            return "PATCH", base.join(f"api/v1/feedback/{payload['id']}"), body
        return "POST", base.join("api/v1/feedback"), dict(payload)


ADAPTER = LangSmith()


def _tenant(source: SourceConfig, environ: Mapping[str, str]) -> str | None:
    return environ.get(source.tenant_env) if source.tenant_env else None


def feedback_payload(
    verdict: VerdictRecord,
    item: Item,
    *,
    score_name: str,
    undoes: VerdictRecord | None = None,
) -> dict[str, Any]:
    """The body of ``POST /api/v1/feedback`` for ``verdict`` on ``item`` (read from
    LangSmith: its ``meta`` has ``langsmith_run_id``; raises
    :class:`~triage.errors.InvalidInput` otherwise). For an undo, ``undoes`` is the
    verdict it withdraws, and the body is an update of that verdict's feedback (it has
    no ``run_id``: see :meth:`LangSmith.request`)."""
    from triage.platforms.writeback import UNDONE, comment, metadata, platform_id, value

    run_id = item.meta.get("langsmith_run_id")
    if not isinstance(run_id, str) or not run_id:
        raise InvalidInput(f"item {item.source}:{item.id} has no langsmith_run_id in its meta")
    text = comment(verdict)
    if verdict.outcome == Outcome.UNDO and undoes is not None:
        update: dict[str, Any] = {
            "id": platform_id(undoes.key),
            "score": None,
            "value": UNDONE,
        }
        if text:
            update["comment"] = text
        return update
    body: dict[str, Any] = {"id": platform_id(verdict.key), "run_id": run_id}
    trace_id = item.meta.get("langsmith_trace_id")
    if isinstance(trace_id, str) and trace_id:
        body["trace_id"] = trace_id
    body["key"] = score_name
    score = _SCORES.get(Outcome(verdict.outcome))
    if score is not None:
        body["score"] = score
    body["value"] = value(verdict)
    if text:
        body["comment"] = text
    body["feedback_source"] = {"type": "api", "metadata": metadata(verdict, item, undoes)}
    return body
