"""Novelty: nearest earlier input of the same agent and task type."""

from __future__ import annotations

from triage.core.novelty import NoveltyIndex, normalize


def test_normalize_folds_case_digits_and_space() -> None:
    assert normalize("  Order  #W4521\nIS late ") == "order #w0000 is late"
    assert len(normalize("x" * 50_000)) == 1000


def test_exact_duplicate_scores_100_and_names_the_earlier_item() -> None:
    index = NoveltyIndex()
    index.add("bot", "reply", "s:1", 100.0, "Where is order 17?")
    result = index.query("bot", "reply", "where is order 99?", 200.0, "s:2")
    assert (result.score, result.nearest, result.is_novel) == (100.0, "s:1", False)


def test_only_earlier_items_of_the_same_group_count() -> None:
    index = NoveltyIndex()
    index.add("bot", "reply", "s:later", 500.0, "Can I change the delivery address?")
    index.add("bot", "refund", "s:other-type", 50.0, "Can I change the delivery address?")
    index.add("mailer", "reply", "s:other-agent", 50.0, "Can I change the delivery address?")
    result = index.query("bot", "reply", "Can I change the delivery address?", 100.0, "s:me")
    assert result.nearest is None and result.score == 0.0 and result.is_novel
    assert index.history("bot", "reply", 100.0) == 0
    assert index.history("bot", "reply", 501.0) == 1


def test_an_item_is_never_its_own_nearest() -> None:
    index = NoveltyIndex()
    index.add("bot", "reply", "s:1", 100.0, "Please cancel my table for four on Friday")
    result = index.query("bot", "reply", "Please cancel my table for four on Friday", 100.0, "s:1")
    assert result.nearest is None


def test_familiar_request_beats_novel_one() -> None:
    index = NoveltyIndex(threshold=60)
    templates = [
        "Hi, where is my order {n}? It was supposed to arrive on Monday.",
        "Can I return the Linnea oak side table from order {n}? It is scratched.",
        "Please change the delivery address on order {n} to my office.",
    ]
    t = 0.0
    for n in range(300):
        t += 1
        index.add("bot", "reply", f"s:{n}", t, templates[n % 3].format(n=1000 + n))
    familiar = index.query(
        "bot",
        "reply",
        "Hi, where is my order 8812? It was supposed to arrive on Tuesday.",
        t + 1,
        "q",
    )
    novel = index.query(
        "bot", "reply", "Ich möchte meine Buchung nach Wien übertragen, geht das?", t + 1, "q2"
    )
    assert familiar.score > 85 and not familiar.is_novel
    assert familiar.nearest is not None and int(familiar.nearest.split(":")[1]) % 3 == 0
    assert novel.score < 60 and novel.is_novel


def test_distinctive_word_finds_its_match_in_a_large_group() -> None:
    index = NoveltyIndex()
    for n in range(5000):
        index.add("bot", "reply", f"s:{n}", float(n), f"Where is my order {n}, it is late again")
    index.add("bot", "reply", "s:rare", 1.5, "Request a GDPR export of all my personal data")
    result = index.query(
        "bot", "reply", "I request a GDPR export of my personal data please", 9999.0, "q"
    )
    assert result.nearest == "s:rare"
    assert result.score > 70
