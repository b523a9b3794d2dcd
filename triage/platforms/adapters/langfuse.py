"""Langfuse: items from its public API, verdicts back as scores.

``kind = "langfuse"``. Settings: ``url`` (the host; default Langfuse Cloud),
``public_key_env`` and ``secret_key_env`` (the variables holding the keys, sent as HTTP
Basic to the host's origin only), ``api`` (``v2`` root observations, or ``v3`` traces for
older self-hosted Langfuse), ``agent``, ``task_type_field``, ``follow_redirects``, and
``write_back`` / ``score_name``. Reading and the mapping to items:
:mod:`triage.platforms.langfuse`.

Write-back (``write_back = true``): ``POST /api/public/scores`` with a ``CATEGORICAL``
score named after ``score_name`` on the trace (and the observation, for items read from
the observations API), value ``ok``, ``fail`` or ``escalate``. The score's ``id`` is
derived from the verdict's key, so sending it again (after a lost answer) updates the
same score instead of adding one. An undo sends the undone verdict's score again with the
value ``undone``. The score's ``source`` is ``API``: Langfuse accepts ``ANNOTATION`` only
together with a score config id.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from triage.errors import InvalidInput, SourceError
from triage.platforms.base import Adapter, Missing, Pullable
from triage.platforms.secrets import Secrets

if TYPE_CHECKING:
    import httpx

    from triage.config import Config
    from triage.config.schema import SourceConfig
    from triage.core.models import Item, VerdictRecord
    from triage.platforms import Batch

__all__ = ["ADAPTER", "DEFAULT_HOST", "auth_headers", "score_payload"]

DEFAULT_HOST = "https://cloud.langfuse.com"


def auth_headers(public_key: str, secret_key: str) -> dict[str, str]:
    """The headers that log in with a key pair: HTTP Basic, public key as the user."""
    token = base64.b64encode(f"{public_key}:{secret_key}".encode()).decode("ascii")
    return {"Authorization": f"Basic {token}"}


class Langfuse(Adapter):
    kind = "langfuse"
    title = "Langfuse"
    credentials = ("public_key_env", "secret_key_env")
    default_host = DEFAULT_HOST
    writes_back = True

    def open(
        self, name: str, source: SourceConfig, config: Config, *, stored_as: str, in_force: Secrets
    ) -> Pullable:
        keys = self.keys(source, os.environ)
        if isinstance(keys, Missing):
            raise SourceError(keys.for_pull(name))
        public, secret = keys

        def read(since: datetime | None, position: str | None) -> Iterator[Batch]:
            from triage.platforms.langfuse import read_langfuse

            return read_langfuse(
                source, source=stored_as, public_key=public, secret_key=secret,
                since=since, position=position,
            )  # fmt: skip

        return Pullable(name, stored_as, read, "/$".join(self.variables(source)), True)

    def headers(
        self, keys: Sequence[str], source: SourceConfig, environ: Mapping[str, str]
    ) -> dict[str, str]:
        public, secret = keys
        return auth_headers(public, secret)

    def payload(
        self,
        verdict: VerdictRecord,
        item: Item,
        *,
        score_name: str,
        undoes: VerdictRecord | None = None,
    ) -> dict[str, Any]:
        return score_payload(verdict, item, score_name=score_name, undoes=undoes)

    def request(
        self, payload: Mapping[str, Any], base: httpx.URL
    ) -> tuple[str, httpx.URL, dict[str, Any]]:
        # Scores are upserted by id: a second POST of the same id updates the score.
        return "POST", base.join("api/public/scores"), dict(payload)


ADAPTER = Langfuse()


def score_payload(
    verdict: VerdictRecord,
    item: Item,
    *,
    score_name: str,
    undoes: VerdictRecord | None = None,
) -> dict[str, Any]:
    """The body of ``POST /api/public/scores`` for ``verdict`` on ``item`` (read from
    Langfuse: its ``meta`` has ``langfuse_trace_id``; raises
    :class:`~triage.errors.InvalidInput` otherwise). For an undo, ``undoes`` is the
    verdict it withdraws: its score is sent again with the value ``undone``."""
    from triage.platforms.writeback import comment, metadata, platform_id, scored, value

    trace_id = item.meta.get("langfuse_trace_id")
    if not isinstance(trace_id, str) or not trace_id:
        raise InvalidInput(f"item {item.source}:{item.id} has no langfuse_trace_id in its meta")
    body: dict[str, Any] = {
        "id": platform_id(scored(verdict, undoes).key),
        "traceId": trace_id,
    }
    observation = item.meta.get("langfuse_observation_id")
    if isinstance(observation, str) and observation:
        body["observationId"] = observation
    body.update(
        {
            "name": score_name,
            "value": value(verdict),
            "dataType": "CATEGORICAL",
            "source": "API",
        }
    )
    text = comment(verdict)
    if text:
        body["comment"] = text
    body["metadata"] = metadata(verdict, item, undoes)
    return body
