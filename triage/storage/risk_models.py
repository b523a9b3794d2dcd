"""Fitted failure-risk models: kept, the newest one read, all listed.

A model is stored as :meth:`~triage.core.risk.RiskModel.as_json` in ``risk_model``,
written in the same transaction as its audit entry (action ``risk.fit``). Fitting the
same verdicts again gives the same version: its row is then brought up to date and
becomes the newest again, rather than a second row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, insert, select, update

from triage.core.risk import RiskModel
from triage.storage import audit
from triage.storage.convert import now, utc
from triage.storage.engine import writing
from triage.storage.tables import risk_models_t

ACTION = "risk.fit"
"""The audit action of a fitted model."""


def save(engine: Engine, model: RiskModel, *, actor: str) -> None:
    """Keep ``model`` (the newest from now on) with an audit entry saying who fitted
    it, on how many verdicts, and how it did on held-out verdicts."""
    stamp = now()
    values = {
        "version": model.version,
        "fitted_at": utc(model.fitted_at),
        "trained_on": model.trained_on,
        "failures": model.failures,
        "data": model.as_json(),
    }
    with writing(engine) as conn:
        bumped = conn.execute(
            update(risk_models_t).where(risk_models_t.c.version == model.version).values(**values)
        )
        if bumped.rowcount == 0:
            conn.execute(insert(risk_models_t).values(**values))
        audit.append(
            conn,
            actor=actor,
            action=ACTION,
            subject=model.version,
            payload={
                "trained_on": model.trained_on,
                "failures": model.failures,
                "features": len(model.weights),
                "calibration": list(model.calibration),
                "features_version": model.features_version,
                "metrics": {k: round(v, 6) for k, v in model.metrics.items()},
            },
            at=stamp,
        )


def newest(engine: Engine) -> RiskModel | None:
    """The model fitted last (``None`` before any)."""
    stmt = (
        select(risk_models_t.c.data)
        .order_by(risk_models_t.c.fitted_at.desc(), risk_models_t.c.pk.desc())
        .limit(1)
    )
    with engine.connect() as conn:
        data = conn.execute(stmt).scalar()
    return RiskModel.from_json(data) if data is not None else None


def listing(engine: Engine) -> list[tuple[str, datetime, int, int]]:
    """(version, fitted at, verdicts, failures) of every kept model, newest first."""
    cols = risk_models_t.c
    stmt = select(cols.version, cols.fitted_at, cols.trained_on, cols.failures).order_by(
        cols.fitted_at.desc(), cols.pk.desc()
    )
    with engine.connect() as conn:
        return [(v, utc(at), int(n), int(f)) for v, at, n, f in conn.execute(stmt)]
