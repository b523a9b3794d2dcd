"""Rules: documented, versioned routing of agent outputs into review lanes.

A rule folder holds ``*.toml`` files of ``[[rule]]`` entries (and at most one
``[settings]`` table). Each rule's ``when`` is a condition over the names in
:data:`triage.core.signals.SIGNALS`, compiled once into a plain Python function.
Patterns are matched in linear time (:mod:`triage.rules.patterns`), and every
size is bounded (:mod:`triage.rules.limits`), so no rule can hang or crash a
pull: whatever a folder holds, loading it gives a rule set or a
:class:`RulesError`. ``rules/README.md`` is the guide for the people who write them.
"""

from triage.rules.expr import Condition, ConditionError, compile_condition
from triage.rules.loader import check_rules, git_commit, load_rules, rules_from_files, version_of
from triage.rules.model import Rule, RuleProblem, RulesError, RuleSet, RuleSettings

__all__ = [
    "Condition",
    "ConditionError",
    "Rule",
    "RuleProblem",
    "RuleSet",
    "RuleSettings",
    "RulesError",
    "check_rules",
    "compile_condition",
    "git_commit",
    "load_rules",
    "rules_from_files",
    "version_of",
]
