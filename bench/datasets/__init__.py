"""Builders that turn public labelled agent-trajectory datasets into triage's native
JSON Lines plus a labels file, in the git-ignored cache ``bench/.data/``.

Each builder reads raw files from a folder given on the command line or in an
environment variable; none of them reaches the network. The raw data is fetched by
hand (each module says how) and never committed."""
