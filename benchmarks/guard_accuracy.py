"""How well the fact guard separates faithful rewrites from corrupted ones, on our corpus
(tests/guard_corpus/corpus.jsonl), and what it costs per check.

    .venv/bin/python -m benchmarks.guard_accuracy [--out benchmarks/results/guard_accuracy.json]

Prints the false-positive rate on faithful paraphrases, the recall per corruption kind (a
violation for lost/altered/added facts, placeholders and negation flips, a warning for
promises), the misses, and the guard's latency on a 2,000-character draft. The same figures per
language (a case's `lang:xx` tag; untagged cases are English), each held to the same targets:
recall >= 0.99 on lost/altered/added facts and placeholders, false positives <= 2%. Writes the
figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections import defaultdict
from pathlib import Path


from api.guard import content
from api.guard import check, mask, word_diff
from evals.dataset import visible

ROOT = Path(__file__).resolve().parent.parent

CORPUS = ROOT / "tests" / "guard_corpus" / "corpus.jsonl"
REFERENCES = ROOT / "evals" / "datasets" / "support.jsonl"
REAL = ROOT / "evals" / "datasets" / "realworld" / "drafts.jsonl"
GENERIC = "I'm sorry you have any issues with your order. If there are any, please let me know."
FACT_TARGET, FP_TARGET = 0.99, 0.02


def load(path: Path = CORPUS) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def language(case: dict) -> str:
    return next((tag.split(":", 1)[1] for tag in case["tags"] if tag.startswith("lang:")), "en")


def by_language(cases: list[dict]) -> dict[str, dict]:
    """`evaluate` for each language's cases, English first."""
    langs = sorted({language(c) for c in cases}, key=lambda lang: (lang != "en", lang))
    return {lang: evaluate([c for c in cases if language(c) == lang]) for lang in langs}


def meets_targets(result: dict) -> bool:
    return result["fact_recall"] >= FACT_TARGET and result["false_positive_rate"] <= FP_TARGET


def evaluate(cases: list[dict]) -> dict:
    false_positives, paraphrases = [], 0
    hits: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    misses: list[dict] = []
    for case in cases:
        for text in case["paraphrases"]:
            paraphrases += 1
            verdict = check(case["draft"], text, case["customer_message"])
            if not verdict.ok or verdict.warnings:
                false_positives.append({"id": case["id"], "problems": verdict.describe() or str(
                    [w.detail for w in verdict.warnings])})
        for corruption in case["corruptions"]:
            verdict = check(case["draft"], corruption["rewrite"], case["customer_message"])
            # Negation flips block by default (REWRITER_FLIPS_BLOCK): only a violation catches one.
            blocking = corruption["expect"] == "violation" or corruption["kind"] == "negation_flip"
            caught = (not verdict.ok) if blocking else bool(verdict.warnings) or not verdict.ok
            kind = corruption["kind"].split("_")[0] + "_" + corruption["kind"].split("_")[1] if corruption["kind"].startswith("drop_") else corruption["kind"]
            hits[kind][0] += caught
            hits[kind][1] += 1
            if not caught:
                misses.append({"id": case["id"], "kind": corruption["kind"]})
    fact_kinds = [k for k in hits if k not in {"add_promise", "negation_flip"}]
    fact_caught = sum(hits[k][0] for k in fact_kinds)
    fact_total = sum(hits[k][1] for k in fact_kinds)
    return {
        "drafts": len(cases),
        "paraphrases": paraphrases,
        "false_positive_rate": len(false_positives) / paraphrases,
        "false_positives": false_positives,
        "fact_recall": fact_caught / fact_total,
        "fact_caught": fact_caught,
        "fact_corruptions": fact_total,
        "recall_by_kind": {k: {"caught": v[0], "total": v[1], "recall": v[0] / v[1]} for k, v in sorted(hits.items())},
        "misses": misses,
    }


def content_figures(cases: list[dict]) -> dict:
    """The content check alone: false positives on faithful rewrites we have (the corpus's
    paraphrases, the eval dataset's human references, real drafts wrapped in an opening and a
    closing), and recall on real drafts with one statement or step taken out, or all of them."""
    rng = random.Random(13)
    references = load(REFERENCES)
    real = load(REAL)
    flagged = {"corpus paraphrases": [0, 0], "eval references": [0, 0], "real drafts, wrapped": [0, 0]}
    for case in cases:
        for text in case["paraphrases"]:
            flagged["corpus paraphrases"][0] += bool(content.missing(case["draft"], text))
            flagged["corpus paraphrases"][1] += 1
    for case in references:
        flagged["eval references"][0] += bool(content.missing(visible(case["draft"], case.get("format", "text")),
                                                              visible(case["reference"], case.get("format", "text"))))
        flagged["eval references"][1] += 1
    caught = {"one statement or step dropped": [0, 0], "everything dropped": [0, 0]}
    for row in real:
        draft = row["reply"]
        wrapped = f"I'm sorry for the trouble. {draft} Just reply here if anything is unclear."
        flagged["real drafts, wrapped"][0] += bool(content.missing(draft, wrapped))
        flagged["real drafts, wrapped"][1] += 1
        caught["everything dropped"][0] += bool(content.missing(draft, GENERIC))
        caught["everything dropped"][1] += 1
        units = [u for u in content.missing(draft, "") if u.kind == "sentence"]
        if units:
            dropped = " ".join(draft.split()).replace(rng.choice(units).text, "")
            caught["one statement or step dropped"][0] += bool(content.missing(draft, dropped))
            caught["one statement or step dropped"][1] += 1
    return {
        "false_positives": {k: {"flagged": v[0], "total": v[1], "rate": v[0] / v[1]} for k, v in flagged.items()},
        "recall": {k: {"caught": v[0], "total": v[1], "recall": v[0] / v[1]} for k, v in caught.items()},
    }


def _time_guard(draft: str, rewrite: str, repeat: int) -> dict:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        masked = mask(draft)
        masked.unmask(masked.text)
        check(draft, rewrite)
        word_diff(draft, rewrite)
        samples.append((time.perf_counter() - started) * 1000)
    return {"draft_chars": len(draft), "rewrite_chars": len(rewrite), "median_ms": statistics.median(samples),
            "max_ms": max(samples), "n": repeat}


def guard_latency(cases: list[dict], repeat: int = 50) -> dict[str, dict]:
    """Mask + unmask + check + diff, as one request pays for it."""
    english = [c for c in cases if language(c) == "en"]
    others = [c for c in cases if language(c) != "en"]
    typical = english[0]
    joined_draft = " ".join(c["draft"] for c in english[::5])[:2000]
    joined_rewrite = " ".join(c["paraphrases"][0] for c in english[::5])[:2600]
    unit = ("Hi {{ticket.requester.first_name}}, your refund of $49.99 for order #4821 was approved on "
            "March 3; it reaches your card in 3-5 business days (https://help.example.com/r). ")
    dense = (unit * 20)[:2000]
    return {
        "typical draft": _time_guard(typical["draft"], typical["paraphrases"][0], repeat),
        "2,000-char draft": _time_guard(joined_draft, joined_rewrite, repeat),
        "2,000 chars, fact-dense": _time_guard(dense, ("I'm sorry for the wait. " + dense)[:2100], repeat),
        **({"2,000 chars, es/fr/de/pt": _time_guard(" ".join(c["draft"] for c in others[::3])[:2000],
                                                     " ".join(c["paraphrases"][0] for c in others[::3])[:2600], repeat)}
           if others else {}),
    }


def print_languages(languages: dict[str, dict]) -> None:
    print(f"\nper language (targets: recall >= {FACT_TARGET}, false positives <= {FP_TARGET:.0%}):\n")
    print(f"| {'language':8} | {'drafts':>6} | {'false positives':>15} | {'FP rate':>7} | {'facts caught':>12} | "
          f"{'recall':>6} | {'targets':>7} |")
    print(f"|{'-' * 10}|{'-' * 8}|{'-' * 17}|{'-' * 9}|{'-' * 14}|{'-' * 8}|{'-' * 9}|")
    for lang, row in languages.items():
        print(f"| {lang:8} | {row['drafts']:6d} | {len(row['false_positives']):>6d} / {row['paraphrases']:<6d} | "
              f"{row['false_positive_rate']:7.3f} | {row['fact_caught']:>5d} / {row['fact_corruptions']:<4d} | "
              f"{row['fact_recall']:6.3f} | {'met' if meets_targets(row) else 'MISSED':>7} |")
    kinds = sorted({kind for row in languages.values() for kind in row["recall_by_kind"]})
    print(f"\n| {'recall by kind':22} | " + " | ".join(f"{lang:>9}" for lang in languages) + " |")
    print(f"|{'-' * 24}|" + "|".join("-" * 11 for _ in languages) + "|")
    for kind in kinds:
        cells = []
        for row in languages.values():
            hit = row["recall_by_kind"].get(kind)
            cells.append(f"{hit['caught']:>3d}/{hit['total']:<3d}" + ("  " if hit["total"] < 100 else "")
                         if hit else "        -")
        print(f"| {kind:22} | " + " | ".join(f"{c:>9}" for c in cells) + " |")
    print("(add_promise and negation_flip are not in the fact recall. The meaning checks know English words and,\n"
          " as English has it too, Spanish 'no'; not the other languages' words for a discount or a refund, nor\n"
          " 'ne ... pas', 'nicht', 'kein' or 'não'.)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "guard_accuracy.json")
    args = parser.parse_args()
    cases = load()
    result = evaluate(cases)
    result["by_language"] = by_language(cases)
    result["latency"] = guard_latency(cases)

    print(f"\nFact guard on {result['drafts']} drafts ({result['paraphrases']} faithful paraphrases, "
          f"{sum(v['total'] for v in result['recall_by_kind'].values())} corruptions)\n")
    print(f"| {'corruption':22} | {'caught':>6} | {'total':>5} | {'recall':>7} |")
    print(f"|{'-' * 24}|{'-' * 8}|{'-' * 7}|{'-' * 9}|")
    for kind, row in result["recall_by_kind"].items():
        print(f"| {kind:22} | {row['caught']:6d} | {row['total']:5d} | {row['recall']:7.3f} |")
    print(f"\nrecall on lost/altered/added facts and placeholders: {result['fact_recall']:.4f} "
          f"(target >= {FACT_TARGET}) over {result['fact_corruptions']} corruptions")
    print(f"false positives on faithful paraphrases: {len(result['false_positives'])}/{result['paraphrases']} = "
          f"{result['false_positive_rate']:.4f} (target <= {FP_TARGET})")
    print_languages(result["by_language"])
    for fp in result["false_positives"][:10]:
        print(f"  false positive {fp['id']}: {fp['problems']}")
    meaning_kinds = {"add_promise", "negation_flip"}
    for miss in [m for m in result["misses"] if m["kind"] not in meaning_kinds][:10]:
        print(f"  missed {miss['id']}: {miss['kind']}")
    meaning_misses = [m for m in result["misses"] if m["kind"] in meaning_kinds]
    if meaning_misses:
        print(f"  and {len(meaning_misses)} promises or negation flips missed (see the note above)")
    result["content"] = content_figures(cases)
    print("\ncontent check (statements, steps, quoted labels, menu paths, conditions):\n")
    print(f"| {'faithful rewrites':34} | {'flagged':>7} | {'total':>5} | {'rate':>6} |")
    print(f"|{'-' * 36}|{'-' * 9}|{'-' * 7}|{'-' * 8}|")
    for name, row in result["content"]["false_positives"].items():
        print(f"| {name:34} | {row['flagged']:7d} | {row['total']:5d} | {row['rate']:6.3f} |")
    print(f"\n| {'real drafts, corrupted':34} | {'caught':>7} | {'total':>5} | {'recall':>6} |")
    print(f"|{'-' * 36}|{'-' * 9}|{'-' * 7}|{'-' * 8}|")
    for name, row in result["content"]["recall"].items():
        print(f"| {name:34} | {row['caught']:7d} | {row['total']:5d} | {row['recall']:6.3f} |")
    print("\nguard cost per request (mask + unmask + check + diff):\n")
    print(f"| {'input':24} | {'draft chars':>11} | {'median ms':>9} | {'max ms':>7} |")
    print(f"|{'-' * 26}|{'-' * 13}|{'-' * 11}|{'-' * 9}|")
    for name, row in result["latency"].items():
        print(f"| {name:24} | {row['draft_chars']:11d} | {row['median_ms']:9.2f} | {row['max_ms']:7.2f} |")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
