"""promptfoo eval results (``promptfoo eval -o results.json``) → items, one per result.

The file is an ``OutputFile``: ``{evalId, results:{version, timestamp, results[], prompts[]
| table, stats}, config, shareableUrl, metadata}``. Version 3 (and any summary without a
``table``) is read from ``results.results[]``; version 2 from ``results.table`` (its
``head.prompts[]`` and ``body[].outputs[]``, one output per prompt).

- ``id``: ``<evalId>:<testIdx>:<promptIdx>`` (the file name stands in for a ``null``
  ``evalId``; a missing ``testIdx`` is the record's position)
- ``input``: the rendered prompt (``prompt.raw``; a ``{{ var }}`` left in it is filled in
  from ``vars``), else the ``vars`` as JSON
- ``output``: ``response.output`` (an object or list as indented JSON)
- ``model``: the provider id; ``agent``: the provider label, else ``promptfoo``
- ``task_type``: the prompt's label, or ``task_type_field`` looked up in
  ``testCase.metadata``, then ``vars``, then the result record itself
- ``created_at``: ``results.timestamp`` (else ``metadata.evaluationCreatedAt`` or
  ``metadata.exportedAt``, else the file's modification time)
- ``meta``: ``success``, ``score``, ``failure_reason`` (0 none, 1 assertion, 2 error),
  ``grading_reason``, ``named_scores``, ``latency_ms``, ``cost``, ``error``,
  ``failed_assertions`` (type, value and reason of each failing component),
  ``promptfoo_eval_id``, ``promptfoo_result_id``, ``test_index``, ``prompt_index``,
  ``vars``, ``platform_outcome``; and when present ``description``, ``token_usage``,
  ``finish_reason``, ``is_refusal``, ``test_metadata``
- ``platform_outcome``: ``errored`` with the error text for ``failureReason`` 2;
  ``failed`` for ``failureReason`` 1 or a false ``success`` (``pass`` in version 2), with
  the failed assertions' reasons (else the grading reason); else ``errored`` for an
  ``error``; ``passed`` for a true ``success`` (with the grading reason); ``unknown``
  for a score alone

``line`` in a rejection is the 1-based position of the result (or table row).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from triage.core.models import Item
from triage.platforms.common import (
    Context,
    Emitted,
    Invalid,
    load_document,
    make_item,
    needs_check,
    read_bytes,
    reject,
    task_type,
)
from triage.platforms.outcomes import OUTCOME_KEY, PlatformStatus, joined, outcome
from triage.platforms.values import (
    as_json_text,
    from_iso,
    listing,
    mapping,
    number,
    scalar_text,
)

__all__ = ["read_promptfoo"]

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][\w]*)\s*\}\}")


def read_promptfoo(path: Path, ctx: Context) -> Iterator[Emitted]:
    """Items (and rejections) for the promptfoo results file at ``path``."""
    try:
        data = read_bytes(path, ctx.max_record_bytes)
        document = load_document(data)
        summary = _summary(document)
    except Invalid as error:
        yield reject(path, 1, error.reason)
        return
    eval_id = document.get("evalId")
    eval_id = eval_id if isinstance(eval_id, str) and eval_id else path.name.partition(".")[0]
    created_at = _created_at(path, document, summary)
    check = needs_check(data)
    table = summary.get("table")
    rows = summary.get("results")
    if isinstance(table, dict) and (summary.get("version") != 3 or not isinstance(rows, list)):
        records = _table_records(path, table)
    elif isinstance(rows, list):
        records = ((i + 1, row, None) for i, row in enumerate(rows))
    else:
        yield reject(path, 1, "'results' holds neither a 'results' list nor a 'table'")
        return
    for position, record, problem in records:
        if problem is not None:
            yield reject(path, position, problem)
            continue
        try:
            yield _item(record, position, eval_id, created_at, ctx, check)
        except Invalid as error:
            yield reject(path, position, error.reason)


def _summary(document: Any) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise Invalid("not a promptfoo results file (expected an object)")
    summary = document.get("results")
    if not isinstance(summary, dict):
        raise Invalid("not a promptfoo results file (no 'results' object)")
    return summary


def _created_at(path: Path, document: dict[str, Any], summary: dict[str, Any]) -> datetime:
    metadata = mapping(document.get("metadata"))
    for value in (
        summary.get("timestamp"),
        metadata.get("evaluationCreatedAt"),
        metadata.get("exportedAt"),
    ):
        moment = from_iso(value)
        if moment is not None:
            return moment
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
    except OSError:
        return datetime.fromtimestamp(0, tz=UTC)


def _table_records(
    path: Path, table: dict[str, Any]
) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """Version 2: each table output as a result record (missing fields from the head)."""
    head = mapping(table.get("head"))
    prompts = listing(head.get("prompts"))
    body = table.get("body")
    if not isinstance(body, list):
        yield 1, None, "'results.table' has no 'body' list"
        return
    for index, row in enumerate(body):
        outputs = row.get("outputs") if isinstance(row, dict) else None
        if not isinstance(outputs, list):
            yield index + 1, None, "table row has no 'outputs' list"
            continue
        test = mapping(row.get("test"))
        test_idx = row.get("testIdx", index)
        for prompt_idx, output in enumerate(outputs):
            if not isinstance(output, dict):
                yield index + 1, None, f"table output {prompt_idx} is not an object"
                continue
            prompt = mapping(prompts[prompt_idx]) if prompt_idx < len(prompts) else {}
            response = mapping(output.get("response"))
            rendered = output.get("prompt")
            record = {
                **output,
                "testIdx": test_idx,
                "promptIdx": prompt_idx,
                "testCase": output.get("testCase") or test,
                "vars": mapping(test.get("vars")),
                "provider": output.get("provider") or prompt.get("provider"),
                "prompt": {
                    "raw": rendered if isinstance(rendered, str) else prompt.get("raw"),
                    "label": prompt.get("label"),
                },
                "response": {"output": output.get("text"), **response},
                "success": output.get("pass"),
                "description": row.get("description"),
            }
            yield index + 1, record, None


def _item(
    record: object,
    position: int,
    eval_id: str,
    created_at: datetime,
    ctx: Context,
    check: bool,
) -> Item:
    if not isinstance(record, dict):
        raise Invalid("result is not an object")
    test_idx = _index(record.get("testIdx"), position - 1)
    prompt_idx = _index(record.get("promptIdx"), 0)
    provider = record.get("provider")
    if isinstance(provider, str):
        provider = {"id": provider}
    provider = provider if isinstance(provider, dict) else {}
    prompt = mapping(record.get("prompt"))
    variables = mapping(record.get("vars"))
    test_case = mapping(record.get("testCase"))
    response = mapping(record.get("response"))
    grading = mapping(record.get("gradingResult"))
    label = scalar_text(prompt.get("label")) or scalar_text(prompt.get("id")) or "eval"
    test_metadata = test_case.get("metadata")
    meta: dict[str, Any] = {
        "success": record.get("success"),
        "score": number(record.get("score")),
        "failure_reason": record.get("failureReason"),
        "grading_reason": grading.get("reason"),
        "named_scores": record.get("namedScores") or {},
        "latency_ms": number(record.get("latencyMs")),
        "cost": number(record.get("cost", response.get("cost"))),
        "error": record.get("error") or response.get("error"),
        "failed_assertions": _failed(grading),
        "promptfoo_eval_id": eval_id,
        "promptfoo_result_id": record.get("id"),
        "test_index": test_idx,
        "prompt_index": prompt_idx,
        "vars": variables,
    }
    meta[OUTCOME_KEY] = _outcome(meta)
    optional = {
        "description": record.get("description") or test_case.get("description"),
        "token_usage": response.get("tokenUsage") or record.get("tokenUsage"),
        "finish_reason": response.get("finishReason"),
        "is_refusal": response.get("isRefusal"),
        "test_metadata": test_metadata,
    }
    meta.update({key: value for key, value in optional.items() if value is not None})
    provider_id = provider.get("id")
    provider_label = provider.get("label")
    return make_item(
        ctx=ctx,
        id=f"{eval_id}:{test_idx}:{prompt_idx}",
        created_at=created_at,
        agent=provider_label if isinstance(provider_label, str) and provider_label else "promptfoo",
        task_type=task_type(ctx, (test_metadata, variables, record), label),
        input=_input(prompt.get("raw"), variables),
        output=as_json_text(response.get("output")),
        model=provider_id if isinstance(provider_id, str) else "",
        meta=meta,
        check_values=check,
    )


def _index(value: object, default: int) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return default


def _input(raw: object, variables: dict[str, Any]) -> str:
    if isinstance(raw, str) and raw:

        def fill(match: re.Match[str]) -> str:
            name = match[1]
            if name not in variables:
                return match[0]
            value = variables[name]
            return value if isinstance(value, str) else as_json_text(value)

        return _PLACEHOLDER.sub(fill, raw)
    return as_json_text(variables) if variables else ""


def _failed(grading: dict[str, Any]) -> list[dict[str, Any]]:
    failed = []
    components = grading.get("componentResults")
    for component in components if isinstance(components, list) else []:
        if isinstance(component, dict) and component.get("pass") is False:
            assertion = component.get("assertion")
            assertion = assertion if isinstance(assertion, dict) else {}
            failed.append(
                {
                    "type": assertion.get("type"),
                    "value": assertion.get("value"),
                    "reason": component.get("reason"),
                }
            )
    return failed


def _outcome(meta: dict[str, Any]) -> dict[str, str]:
    """promptfoo's verdict: its ``failureReason`` first, since promptfoo also puts a
    failed assertion's reason in ``error``."""
    failure = meta["failure_reason"]
    failure = failure if isinstance(failure, int) and not isinstance(failure, bool) else None
    if failure == 2:
        return outcome(PlatformStatus.ERRORED, meta["error"])
    failed_because = joined(a["reason"] for a in meta["failed_assertions"])
    if failure == 1 or meta["success"] is False:
        reason = failed_because or meta["grading_reason"] or meta["error"]
        return outcome(PlatformStatus.FAILED, reason)
    if meta["error"] is not None:
        return outcome(PlatformStatus.ERRORED, meta["error"])
    if meta["success"] is True:
        return outcome(PlatformStatus.PASSED, meta["grading_reason"])
    return outcome(PlatformStatus.UNKNOWN)
