"""The service: the one door the command line and the reviewer app go through.

:class:`triage.service.workspace.Workspace` owns a database and the configuration and
runs the loop's steps (pulling and triaging are in :mod:`triage.service.pulling`).
From it the faces reach everything else: ``Workspace.failure_model``
(:mod:`triage.service.failure_model`), ``Workspace.learning``
(:mod:`triage.service.learning`: statistics, suggestions, backtests, rule changes),
``Workspace.push`` (:mod:`triage.service.writeback`) and the audit key
(:mod:`triage.service.audit`). :mod:`triage.service.review` holds a reviewer's
views of the queue (virtual lists, time boxes, a sitting with undo).
"""
