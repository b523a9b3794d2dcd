"""The domain: what an item, a decision, a verdict and a failure mode are, the signals
rules read, novelty, and the few pure helpers everything shares (inert text, JSON).

Nothing here knows about storage, platforms, rules files or any face; every other
layer builds on it.
"""
