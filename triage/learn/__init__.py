"""The learning loop: statistics from verdicts, the failure model and its export,
suggested rule changes with their backtests, and accepting them into the rule files.

It reads through the storage layer and the rules; the service drives it.
"""
