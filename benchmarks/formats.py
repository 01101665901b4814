"""What reading and writing an HTML or Markdown draft costs, on the bodies of tests/format_corpus.

    .venv/bin/python -m benchmarks.formats [--rounds 20] [--out benchmarks/results/formats.json]

For each body: parse (visible text, atoms, tail), mask, render the unchanged text back (with
nh3's sanitising), and the guard's check of the visible text against itself, for comparison.
Prints the medians over the corpus and for the largest bodies, and a 60 KB body made of one
corpus body repeated; writes the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from api import formats
from api.guard import check, mask

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "format_corpus"


def timed(fn, rounds: int) -> float:
    """The median of `rounds` runs, in milliseconds."""
    runs = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs)


def measure(draft: str, fmt: str, rounds: int) -> dict:
    document = formats.parse(draft, fmt)  # type: ignore[arg-type]
    masked = mask(document.text, atoms=document.atoms)
    return {
        "bytes": len(draft.encode()),
        "text_chars": len(document.text),
        "atoms": len(document.atoms),
        "parse_ms": timed(lambda: formats.parse(draft, fmt), rounds),  # type: ignore[arg-type]
        "mask_ms": timed(lambda: mask(document.text, atoms=document.atoms), rounds),
        "render_ms": timed(lambda: formats.render(document, masked.text, masked), rounds),
        "guard_ms": timed(lambda: check(document.text, document.text), rounds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "formats.json")
    args = parser.parse_args()
    entries = [json.loads(line) for line in (CORPUS / "manifest.jsonl").read_text().splitlines() if line.strip()]
    rows: dict[str, list[dict]] = {"html": [], "markdown": []}
    for entry in entries:
        draft = (CORPUS / entry["file"]).read_text()
        rows[entry["format"]].append({"file": entry["file"], **measure(draft, entry["format"], args.rounds)})
    biggest = max(rows["html"], key=lambda row: row["bytes"])
    body = (CORPUS / biggest["file"]).read_text()
    large = measure(body * max(1, 60_000 // len(body)), "html", max(3, args.rounds // 4))

    def line(name: str, items: list[dict]) -> str:
        med = {k: statistics.median(r[k] for r in items) for k in ("bytes", "parse_ms", "mask_ms", "render_ms",
                                                                     "guard_ms")}
        return (f"| {name} | {len(items)} | {med['bytes']:.0f} | {med['parse_ms']:.2f} | {med['mask_ms']:.2f} | "
                f"{med['render_ms']:.2f} | {med['guard_ms']:.2f} |")

    print("| bodies | n | bytes (median) | parse ms | mask ms | render ms | guard ms |")
    print("|---|---|---|---|---|---|---|")
    print(line("HTML, the corpus", rows["html"]))
    print(line("HTML, the 10 largest", sorted(rows["html"], key=lambda r: -r["bytes"])[:10]))
    print(line("Markdown, the corpus", rows["markdown"]))
    print(line(f"HTML, {large['bytes'] // 1000} KB (one body repeated)", [large]))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"rows": rows, "large": large}, indent=1) + "\n")
    print(f"\nwritten: {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")


if __name__ == "__main__":
    main()
