"""triage: decide which AI-agent outputs a human reads closely, glances at, or lets pass."""

__version__ = "0.1.0"
