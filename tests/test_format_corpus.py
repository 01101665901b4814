"""Every body of tests/format_corpus (real-shaped helpdesk and mail-client HTML and Markdown)
through the API, with an upstream whose model rewrites only the text: a sentence before the
draft's and one after. The answer must be re-readable to the same text, sanitised, keep every
link's target and return the quoted thread and signature byte for byte (sanitised when they
hold something unsafe), and the model must never see the thread, the signature or a link's
target."""

from __future__ import annotations

import html as htmllib
import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from api import formats
from api.formats import sanitise

from .conftest import CHAT_URL, chat_reply
from .test_formats import draft_seen

CORPUS = Path(__file__).resolve().parent / "format_corpus"
ENTRIES = [json.loads(line) for line in (CORPUS / "manifest.jsonl").read_text().splitlines() if line.strip()]
# What the model adds, in the draft's language (a sentence in another one is a violation)
SENTENCES = {
    "en": ("Thank you for your patience.", "Just reply here if anything is unclear."),
    "es": ("Gracias por tu paciencia.", "Responde a este mensaje si algo no queda claro."),
    "fr": ("Merci de votre patience.", "Répondez simplement à ce message si quelque chose n'est pas clair."),
    "de": ("Vielen Dank für Ihre Geduld.", "Antworten Sie einfach auf diese Nachricht, wenn etwas unklar ist."),
    "pt": ("Obrigado pela sua paciência.", "Basta responder a esta mensagem se algo não estiver claro."),
}


def model_in(lang: str):
    before, after = SENTENCES[lang]
    return lambda request: chat_reply(f"{before}\n\n{draft_seen(request)}\n\n{after}")


def hrefs_of(rewrite: str) -> list[str]:
    return [a.get("href") for a in BeautifulSoup(rewrite, "html.parser").find_all("a") if a.get("href")]


@pytest.mark.parametrize("entry", ENTRIES, ids=[entry["file"] for entry in ENTRIES])
async def test_a_corpus_body_round_trips(client, upstream, entry):
    draft = (CORPUS / entry["file"]).read_text()
    fmt = entry["format"]
    route = upstream.post(CHAT_URL).mock(side_effect=model_in(entry["language"]))
    BEFORE, AFTER = SENTENCES[entry["language"]]
    response = await client.post("/v1/rewrites", json={"draft": draft, "format": fmt})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["guard"]["status"] == "passed", body["guard"]["violations"]
    rewrite = body["rewrite"]
    seen = route.calls[0].request.content.decode()

    tail = draft[draft.index(entry["tail_from"]):] if entry["tail_from"] else ""
    if tail:
        kept = tail if fmt == "markdown" or sanitise.is_safe(tail) else sanitise.clean(tail)
        assert rewrite.endswith(kept)
        if any(bad.lower() not in tail.lower() for bad in entry["unsafe"]) or not entry["unsafe"]:
            assert kept == tail or fmt == "html" and not sanitise.is_safe(tail)
        words = " ".join(formats.parse(tail, "html").text.split()[:6]) if fmt == "html" else tail.strip()[:40]
        if len(words) > 12:
            assert json.dumps(words)[1:-1] not in seen  # the thread never reaches the model

    if fmt == "html":
        lowered = rewrite.lower()
        for bad in entry["unsafe"]:
            assert bad.lower() not in lowered, bad
        assert sanitise.is_safe(rewrite)
        out_hrefs = hrefs_of(rewrite)
        for href in entry["hrefs"]:
            target = htmllib.unescape(href)
            if target.strip().lower().replace("\t", "").startswith(("javascript", "data:", "vbscript")):
                continue  # an unsafe target is removed, not kept
            assert target in out_hrefs, target
        text = formats.parse(rewrite, "html").text
        assert text.startswith(BEFORE) and text.endswith(AFTER)
        for href in entry["hrefs"]:
            assert json.dumps(htmllib.unescape(href))[1:-1] not in seen or htmllib.unescape(href) in \
                formats.parse(draft, "html").text  # a target the model sees only when it is the link's text
    else:
        for href in entry["hrefs"]:
            assert href in rewrite, href
        assert rewrite.startswith(BEFORE)
        assert formats.parse(rewrite, "markdown").tail == tail
    assert body["language"] == (entry["language"] if formats.parse(draft, fmt).text.count(" ") > 6 else body["language"])
