"""``triage learn``: fit the failure-risk model on the verdicts in force, now."""

from __future__ import annotations

from collections.abc import Callable

import click

from triage.cli.common import console, emit_json, workspace

RETRIAGE_HINT = "run `triage retriage` to rescore stored items"
"""Fitting scores what triage decides from now on; stored decisions keep theirs until a
retriage, which a lead runs when it suits (it writes a new decision for every item)."""


@click.command("learn")
@click.option("--json", "as_json", is_flag=True, help="Write the fitted model's summary as JSON.")
@click.pass_context
def learn(ctx: click.Context, as_json: bool) -> None:
    """Fit the failure-risk model on every ok/fail verdict in force.

    Prints the model's version, the verdicts and failures it was fitted on, its
    held-out AUC and Brier score, and its ten largest weights in words. Items
    triaged from now on are scored by it; stored decisions keep their scores until
    `triage retriage`. With too few verdicts nothing is fitted (exit 1) and triage
    keeps ordering each lane by the rules.
    """
    from triage.core.risk import describe
    from triage.learn.risk_fit import as_mapping, top_weights

    with workspace(ctx, write=True) as ws:
        model = ws.fit_risk(ws.config.reviewer)
    if as_json:
        emit_json(as_mapping(model))
        return
    out = console()
    metrics = model.metrics
    lines = [
        f"risk model {model.version}: fitted on {model.trained_on:,} verdicts, "
        f"{model.failures:,} failures ({model.failures / model.trained_on:.1%})",
        f"held out: AUC {metrics.get('auc', float('nan')):.3f}, "
        f"Brier {metrics.get('brier', float('nan')):.3f}",
        "largest weights (log-odds; positive: towards failing):",
    ]
    for feature, weight in top_weights(model):
        lines.append(f"  {weight:+.2f}  {_words(feature, describe)}")
    lines.append(RETRIAGE_HINT)
    for line in lines:
        out.print(line, markup=False, soft_wrap=True)


SCALED = frozenset(
    {
        "novelty_gap",
        "history",
        "tool_calls",
        "tool_errors",
        "transcript_turns",
        "output_length",
        "input_length",
    }
)
"""Features that are a scaled count, not a presence: their weight is per unit."""


def _words(feature: str, describe: Callable[[str, float], str]) -> str:
    if feature in SCALED:
        return f"more {feature.replace('_', ' ')} (per unit of its scale)"
    return describe(feature, 1.0)


def register(group: click.Group) -> None:
    """Add ``triage learn`` to ``group``."""
    group.add_command(learn)
