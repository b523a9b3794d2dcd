"""The service: the one door the command line and the reviewer app go through.

:class:`triage.service.workspace.Workspace` owns a database and the configuration and
runs the loop's steps; :mod:`triage.service.review` holds a reviewer's views of the
queue (virtual lists, time boxes, a sitting with undo).
"""
