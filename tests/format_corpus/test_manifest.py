"""The format corpus's manifest matches its files (the same checks as check_manifest.py)."""

from . import check_manifest


def test_manifest_matches_the_corpus_files():
    problems, entries = check_manifest.check()
    _, minimum_problems = check_manifest.counts(entries)
    assert problems + minimum_problems == []
