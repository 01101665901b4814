"""HTML and Markdown drafts (`format`): what the model sees, what comes back, and the guard's
reading of both. The upstream is mocked at the HTTP layer; its "model" rewrites the text it is
shown and keeps the tokens."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from api import formats
from api.formats import sanitise
from api.guard import check, language, mask

from .conftest import CHAT_URL, chat_reply

BLOCK = re.compile(r"<(draft[\w-]*)>\n(.*?)\n</\1>", re.S)

GMAIL = (
    '<div dir="ltr"><div>Hi {{ticket.requester.first_name}},</div><div><br></div>'
    '<div>Your refund of <b>$42.00</b> for order #4821 is approved. Track it '
    '<a href="https://help.example.com/t?o=4821&amp;utm_source=zd">here</a>.</div>'
    '<ol><li>Open the app</li><li>Tap <i>Orders</i></li></ol><div>Thanks,</div><div>Sam</div>'
    '<img src="https://t.example.com/p.gif" width="1" height="1">'
    '<div><br></div><div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Mon, 3 Mar 2026 at 10:02, '
    'Bob &lt;bob@example.com&gt; wrote:<br></div><blockquote class="gmail_quote" style="margin:0px 0px 0px '
    '0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">Where is my refund? Order #4821.</blockquote>'
    '</div></div>'
)
GMAIL_TAIL = GMAIL[GMAIL.index('<div class="gmail_quote">'):]


def draft_seen(request: httpx.Request) -> str:
    """The draft as the model saw it in the prompt."""
    for message in json.loads(request.content)["messages"]:
        if found := BLOCK.search(message["content"]):
            return found.group(2)
    raise AssertionError("no draft in the prompt")


def kind_model(request: httpx.Request) -> httpx.Response:
    """A model that rewrites only the text: an apology first, then the draft's lines."""
    return chat_reply("I'm sorry for the wait, and thank you for your patience.\n\n" + draft_seen(request))


# --- reading and writing HTML --------------------------------------------------------------


def test_html_draft_becomes_visible_text_with_atoms_and_a_tail_cut_byte_for_byte():
    document = formats.parse(GMAIL, "html")
    assert document.text == (
        "Hi {{ticket.requester.first_name}},\n\nYour refund of $42.00 for order #4821 is approved. Track it here.\n"
        "1. Open the app\n2. Tap Orders\nThanks,\nSam"
    )
    kinds = [(atom.kind, document.text[a:b]) for a, b, atom in document.atoms]
    assert kinds == [("emphasis", "$42.00"), ("link", "here"), ("emphasis", "Orders")]
    assert document.tail == GMAIL_TAIL
    assert document.head == '<div dir="ltr">'
    assert 'p.gif' in document.foot  # the tracking pixel stays, after the text


def test_unchanged_html_text_renders_back_to_the_same_links_text_and_tail():
    document = formats.parse(GMAIL, "html")
    masked = mask(document.text, atoms=document.atoms)
    assert "$42.00" not in masked.text and "here" not in masked.text  # atoms are tokens
    out = formats.render(document, masked.text, masked)
    assert out.endswith(GMAIL_TAIL)
    assert '<a href="https://help.example.com/t?o=4821&amp;utm_source=zd">here</a>' in out
    assert "<ol><li>Open the app</li><li>Tap <i>Orders</i></li></ol>" in out
    assert formats.parse(out, "html").text == document.text


@pytest.mark.parametrize("draft, tail_from", [
    # Outlook: a rule, then the reply header
    ('<p class="MsoNormal">Your order #88 ships today.<o:p></o:p></p><hr style="display:inline-block;width:98%">'
     '<div id="x"><b>From:</b> Ana &lt;ana@example.com&gt;<br><b>Sent:</b> Monday</div><p>Where is it?</p>',
     "<hr"),
    # Apple Mail: the attribution line in a div, then blockquote type=cite
    # (the outermost element the attribution opens: nothing visible comes before it there)
    ('<div>Your order #88 ships today.</div><div><br><div>On 3 Mar 2026, at 10:02, Ana &lt;ana@example.com&gt; '
     'wrote:</div><br><blockquote type="cite"><div>Where is it?</div></blockquote></div>',
     "<div><br><div>On 3 Mar"),
    # Windows Mail's signature line, Outlook's header with no id or class
    ('<p>Your order #88 ships today.</p><p>Sent from <a href="https://go.example.com/x">Mail</a> for Windows</p>',
     "<p>Sent from"),
    ("<div>Your order #88 ships today.</div><div><div style='border-top:solid #E1E1E1 1.0pt'><p><b>Von:</b> Ana"
     "<br><b>Gesendet:</b> Montag<br><b>An:</b> Support</p></div></div><p>Wo ist es?</p>", "<div><div style="),
    # a bare attribution line after a line break
    ("Your order #88 ships today.<br><br>On Mon, Ana wrote:<br><blockquote>Where is it?</blockquote>",
     "On Mon"),
    # Thunderbird's signature delimiter
    ('<p>Your order #88 ships today.</p><div class="moz-signature">-- <br>Sam, Acme</div>', '<div class="moz-sig'),
    ("<p>Your order #88 ships today.</p>-- <br>Sam, Acme support", "-- <br>"),
    ('<p>Su pedido #88 sale hoy.</p><div>El lun, 3 mar 2026, Ana escribió:</div><blockquote>¿Dónde está?</blockquote>',
     "<div>El lun"),
])
def test_quoted_threads_and_signatures_are_cut_where_they_start(draft, tail_from):
    document = formats.parse(draft, "html")
    assert document.tail == draft[draft.index(tail_from):]
    assert document.text.rstrip(".") .endswith(("today", "hoy"))


def test_script_handlers_and_javascript_links_do_not_survive_the_body_or_the_thread():
    draft = (
        '<p onclick="steal()">Your code is <b>A1B2</b>. <a href="javascript:alert(1)">Click</a> '
        '<a href="JaVaScRiPt:alert(2)">or here</a><script>alert(3)</script><img src=x onerror="alert(4)" alt="logo"></p>'
        '<style>p{color:red}</style><blockquote>Quoted <script>alert(5)</script><a href="java&#x09;script:x">x</a>'
        '<iframe src="https://evil.example"></iframe></blockquote>'
    )
    document = formats.parse(draft, "html")
    masked = mask(document.text, atoms=document.atoms)
    out = formats.render(document, "Thanks! " + masked.text, masked)
    lowered = out.lower()
    for bad in ("<script", "onclick", "onerror", "javascript", "<style", "<iframe", "alert(3)", "alert(5)"):
        assert bad not in lowered, bad
    assert "Quoted" in out and "A1B2" in out and "Thanks!" in out
    assert sanitise.is_safe(out)
    assert document.fallback == sanitise.clean(draft)  # a rejected rewrite answers the draft, sanitised


def test_a_safe_thread_keeps_its_bytes_even_with_markup_the_sanitiser_would_rewrite():
    thread = ('<blockquote type="cite" style="margin: 0 0 0 .8ex"><p class=MsoNormal>Hi<o:p></o:p></p>'
              '<table><tr><td width=100>Item</td></tr></table></blockquote>')
    assert sanitise.is_safe(thread)
    assert formats.parse("<p>Order #5 ships today.</p>" + thread, "html").tail == thread


def test_tables_and_pre_blocks_are_never_rewritten_and_a_dropped_one_is_lost():
    draft = ("<p>Here is your order:</p><table><tr><th>Item</th><th>Price</th></tr><tr><td>Mug</td>"
             "<td>€12,50</td></tr></table><p>Run:</p><pre>reset --all</pre>")
    document = formats.parse(draft, "html")
    masked = mask(document.text, atoms=document.atoms)
    assert "Mug" not in masked.text and "reset --all" not in masked.text
    blocks = [atom.kind for *_, atom in document.atoms]
    assert blocks == ["table", "code_block"]
    dropped = masked.text.split("\n\n")[0]  # the model kept only the first line
    verdict = check(document.text, masked.unmask(dropped)[0])
    verdict.violations = masked.account(dropped, verdict)
    assert {(v.kind, v.fact) for v in verdict.violations} >= {("lost", "table"), ("lost", "code block")}


def test_broken_markup_is_read_without_losing_text():
    draft = "<DIV><b>Important:<i> your refund</b> of $5</i> is <p>on its way<li>step one<li>step two</div></div>"
    document = formats.parse(draft, "html")
    for words in ("Important:", "your refund", "$5", "on its way", "step one", "step two"):
        assert words in document.text
    masked = mask(document.text, atoms=document.atoms)
    out = formats.render(document, masked.text, masked)
    assert formats.parse(out, "html").text.replace("\n", " ").count("step") == 2


# --- Markdown ----------------------------------------------------------------------------------

MARKDOWN = """Hi {{ticket.requester.first_name}},

Your refund of **€12.50** for order #4521 is approved. Track it [here](https://x.example.com/t?a=1&b=2).

1. Open the app
2. Tap _Orders_ and run `reset --all`

```bash
curl https://api.example.com/v1/orders/123
```

See [the guide][1].

[1]: https://help.example.com/guide

Thanks,
Sam

-- 
Sam, Acme Support

> On Mon, 3 Mar 2026, Bob wrote:
> Where is my refund?
"""


def test_markdown_round_trips_unchanged_and_code_blocks_never_reach_the_model():
    document = formats.parse(MARKDOWN, "markdown")
    masked = mask(document.text, atoms=document.atoms)
    for hidden in ("curl", "https://api.example.com", "reset --all", "https://help.example.com/guide",
                   "x.example.com", "Where is my refund", "Sam, Acme"):
        assert hidden not in masked.text, hidden
    assert formats.render(document, masked.text, masked) == MARKDOWN
    assert document.tail == MARKDOWN[MARKDOWN.index("-- \n"):]
    links = [atom.href for *_, atom in document.atoms if atom.kind == "link"]
    assert links == ["https://x.example.com/t?a=1&b=2", "[1]"]


def test_a_markdown_link_the_model_drops_is_a_lost_link():
    document = formats.parse("Reset it [here](https://x.example.com/reset). Order #12.", "markdown")
    masked = mask(document.text, atoms=document.atoms)
    output = "Please reset it on the site. Order #12."
    verdict = check(document.text, masked.unmask(output)[0])
    assert masked.account(output, verdict)[-1].as_dict() == {
        "kind": "lost", "fact": "link", "value": "https://x.example.com/reset",
        "detail": "link 'https://x.example.com/reset' is missing",
    }


# --- languages -----------------------------------------------------------------------------------


def test_the_language_is_detected_and_a_rewrite_in_another_one_is_a_violation():
    spanish = "Hola Ana, te hemos devuelto 12,50 € a la tarjeta. El reembolso tarda entre tres y cinco días."
    assert language.detect(spanish) == "es"
    assert language.detect("Thanks!") is None  # too short to tell
    english = "Hi Ana, we have refunded 12,50 € to your card. The refund takes between three and five days."
    violations = language.mismatch(spanish, english)
    assert [(v.kind, v.value) for v in violations] == [("language", "en")]
    assert violations[0].detail == "the rewrite is in English; the draft is in Spanish"
    faithful = ("Hola Ana, siento mucho las molestias. Te hemos devuelto 12,50 € a la tarjeta y el reembolso "
                "tarda entre tres y cinco días.")
    assert language.mismatch(spanish, faithful) == []
    # an English paragraph on a Spanish reply
    mixed = "I'm so sorry about the trouble with your order, we really appreciate your patience.\n\n" + faithful
    assert [v.detail for v in language.mismatch(spanish, mixed)] == [
        "a paragraph of the rewrite is in English; the draft is in Spanish"]


# --- through the API -----------------------------------------------------------------------------


async def test_an_html_rewrite_through_the_api(client, upstream):
    route = upstream.post(CHAT_URL).mock(side_effect=kind_model)
    response = await client.post("/v1/rewrites", json={"draft": GMAIL, "format": "html"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["guard"]["status"] == "passed", body["guard"]
    assert body["format"] == "html" and body["language"] == "en"
    rewrite = body["rewrite"]
    assert rewrite.startswith('<div dir="ltr"><div>I&#x27;m sorry for the wait') or rewrite.startswith(
        "<div dir=\"ltr\"><div>I'm sorry for the wait")
    assert rewrite.endswith(GMAIL_TAIL)
    assert 'href="https://help.example.com/t?o=4821&amp;utm_source=zd"' in rewrite
    seen = route.calls[0].request.content.decode()
    for hidden in ("Where is my refund", "help.example.com", "gmail_quote", "<b>", "p.gif"):
        assert hidden not in seen, hidden
    inserted = " ".join(op["text"] for op in body["diff"] if op["op"] == "insert")
    assert "sorry" in inserted and "<" not in "".join(op["text"] for op in body["diff"])  # the diff is on text


async def test_a_link_the_model_drops_falls_back_to_the_draft(client, upstream):
    def drops_link(request):
        return chat_reply(re.sub(r"\{\{PH3\}\}", "on our site", draft_seen(request)))

    upstream.post(CHAT_URL).mock(side_effect=drops_link)
    body = (await client.post("/v1/rewrites", json={"draft": GMAIL, "format": "html"})).json()
    assert body["guard"]["status"] == "fallback"
    assert body["rewrite"] == GMAIL  # safe as it came: the draft itself
    assert {"kind": "lost", "fact": "link", "value": "https://help.example.com/t?o=4821&utm_source=zd",
            "detail": "link 'https://help.example.com/t?o=4821&utm_source=zd' is missing"} in body["guard"]["violations"]


async def test_markup_the_model_adds_to_html_is_an_injection(client, upstream):
    upstream.post(CHAT_URL).mock(side_effect=lambda request: chat_reply(
        draft_seen(request) + '\n<img src="https://evil.example/x.png">'))
    body = (await client.post("/v1/rewrites", json={"draft": GMAIL, "format": "html"})).json()
    assert body["guard"]["status"] == "fallback"
    assert any(v["kind"] == "injection" and v["fact"] == "markup" for v in body["guard"]["violations"])


async def test_a_spanish_draft_rewritten_in_english_is_rejected(client, upstream):
    draft = "Hola Ana, te hemos devuelto 12,50 € a la tarjeta. El reembolso tarda entre tres y cinco días."
    upstream.post(CHAT_URL).mock(return_value=chat_reply(
        "Hi Ana, I'm sorry for the trouble. We have refunded 12,50 € to your card; it takes three to five days."))
    body = (await client.post("/v1/rewrites", json={"draft": draft})).json()
    assert body["language"] == "es"
    assert body["guard"]["status"] == "fallback" and body["rewrite"] == draft
    assert [v["kind"] for v in body["guard"]["violations"]] == ["language"]


async def test_a_markdown_rewrite_keeps_code_links_and_the_quoted_thread(client, upstream):
    route = upstream.post(CHAT_URL).mock(side_effect=kind_model)
    body = (await client.post("/v1/rewrites", json={"draft": MARKDOWN, "format": "markdown"})).json()
    assert body["guard"]["status"] == "passed", body["guard"]
    rewrite = body["rewrite"]
    assert rewrite.startswith("I'm sorry for the wait, and thank you for your patience.\n\nHi {{ticket.requester")
    assert rewrite.endswith(MARKDOWN[MARKDOWN.index("Thanks,"):])
    for kept in ("**€12.50**", "[here](https://x.example.com/t?a=1&b=2)", "```bash\ncurl", "`reset --all`"):
        assert kept in rewrite
    assert "curl" not in route.calls[0].request.content.decode()


async def test_an_html_draft_with_nothing_but_a_quoted_thread_is_refused_in_words(client, upstream):
    response = await client.post("/v1/rewrites", json={"draft": GMAIL_TAIL, "format": "html"})
    assert response.status_code == 422
    assert response.json()["detail"] == "draft: the html draft has no text to rewrite before its quoted thread or signature"
    response = await client.post("/v1/rewrites", json={"draft": "hi", "format": "rtf"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "format"


@pytest.mark.parametrize("media, draft, expect", [
    ("text/html", "<p>Your order #12 <b>shipped</b>.</p>", "<p>I'm sorry for the wait"),
    ("text/markdown; charset=utf-8", "Your order #12 **shipped**.", "I'm sorry for the wait"),
])
async def test_the_simple_route_answers_in_the_media_type_it_was_sent(client, upstream, media, draft, expect):
    upstream.post(CHAT_URL).mock(side_effect=kind_model)
    response = await client.post("/v1/rewrite/simple", content=draft.encode(), headers={"content-type": media})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(media.split(";")[0])
    assert response.text.startswith(expect) or response.text.startswith(expect.replace("'", "&#x27;"))
    assert "shipped" in response.text and ("<b>shipped</b>" in response.text or "**shipped**" in response.text)
    refused = await client.post("/v1/rewrite/simple", content=b"{}", headers={"content-type": "application/json"})
    assert refused.status_code == 415
    assert refused.json()["detail"] == "send the draft as text/plain, text/markdown or text/html, not application/json"


async def test_a_streamed_html_rewrite_sends_text_then_the_html_result(client, upstream):
    from .conftest import parse_sse, sse_body

    def streamed(request):
        return httpx.Response(200, content=sse_body(["Sorry for the wait. ", draft_seen(request)]),
                              headers={"content-type": "text/event-stream"})

    upstream.post(CHAT_URL).mock(side_effect=streamed)
    response = await client.post("/v1/rewrites", json={"draft": GMAIL, "format": "html", "stream": True})
    events = parse_sse(response.text)
    text = "".join(data["text"] for name, data in events if name == "delta")
    assert "Track it here." in text and "<" not in text  # the deltas are the visible text
    result = events[-1][1]
    assert result["guard"]["status"] == "passed" and result["rewrite"].endswith(GMAIL_TAIL)


# --- any input ---------------------------------------------------------------------------------

from hypothesis import HealthCheck, assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_PIECES = st.sampled_from([
    "<p>", "</p>", "<div>", "</div>", "<br>", "<b>", "</b>", "<a href='https://x.test/a?b=1&c=2'>", "</a>",
    "<ul>", "<li>", "</ul>", "<ol start=3>", "</ol>", "<table><tr><td>", "</td></tr></table>", "<blockquote>",
    "</blockquote>", "<!--", "-->", "<script>", "</script>", "On Mon, Ana wrote:", "-- ", "\n", " ", "&nbsp;",
    "&amp;", "Order #12", "$5.00", "{{ticket.id}}", "- ", "1. ", "**", "_", "`", "```", "[x](https://y.test)",
    "> ", "text", "<img src=x onerror=alert(1)>", "<pre>", "</pre>", "<h2>", "</h2>", "<", ">", "{{PH1}}",
])


def unsafe_in(markup: str) -> list[str]:
    """What a browser would run or load from `markup` that the allow-list forbids."""
    from bs4 import BeautifulSoup

    found = []
    for tag in BeautifulSoup(markup, "html.parser").find_all(True):
        if tag.name not in sanitise.TAGS and tag.name not in ("html", "body") and ":" not in tag.name:
            found.append(tag.name)
        for name, value in tag.attrs.items():
            if name.startswith("on") or "javascript:" in str(value).lower().replace("\t", ""):
                found.append(f"{tag.name} {name}")
    return found


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_PIECES, max_size=40).map("".join), st.sampled_from(["html", "markdown"]))
def test_any_draft_reads_and_renders_without_error_and_reads_back_the_same(draft, fmt):
    document = formats.parse(draft, fmt)
    assume(document.text.strip())  # else the service refuses it (a test above)
    masked = mask(document.text.strip(), atoms=document.atoms)
    out = formats.render(document, masked.text, masked)
    if fmt == "html":
        assert not unsafe_in(out)
        # nothing swallowed: the text (without list markers) is all in what a reader sees
        from bs4 import BeautifulSoup

        from collections import Counter

        def letters(text: str) -> Counter:
            return Counter(re.sub(r"[^A-Za-z_&#{}$]", "", text))

        assert not letters(document.text) - letters(BeautifulSoup(out, "html.parser").get_text())
    else:
        assert formats.parse(out, "markdown").text.split() == document.text.split()


# --- what a review found ---------------------------------------------------------------------------


@pytest.mark.parametrize("thread", [
    # a comment that ends where a browser ends it, hiding an iframe from Python's parser
    '<blockquote>Where is my refund?<!--><iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe><!-- -->'
    "</blockquote>",
    # handlers on elements outside the allow-list, or on a table's tbody
    '<blockquote><o:p tabindex=1 autofocus onfocus="alert(1)">Where is my refund?</o:p></blockquote>',
    '<blockquote><table><tbody onmouseover="alert(1)"><tr><td>Where is my refund?</td></tr></tbody></table>'
    "</blockquote>",
])
def test_a_thread_that_would_run_something_in_a_browser_comes_back_sanitised(thread):
    draft = "<p>Your refund of $42 was sent today.</p>" + thread
    document = formats.parse(draft, "html")
    assert not sanitise.is_safe(thread)
    assert document.tail == sanitise.clean(thread) and not unsafe_in(document.tail)
    assert not unsafe_in(document.fallback)


def test_an_href_with_a_raw_ampersand_keeps_every_character():
    href = "https://shop.example.com/pay?order=4821&region=eu&currency=EUR&not=1"
    document = formats.parse(f'<p>Pay <a href="{href}">here</a> by Friday.</p><blockquote>Hi</blockquote>', "html")
    (link,) = [atom for *_, atom in document.atoms]
    assert link.href == href and link.markup == f'<a href="{href.replace("&", "&amp;")}">here</a>'
    assert document.tail == "<blockquote>Hi</blockquote>"  # offsets still those of the draft as sent


async def test_html_nested_too_deep_is_refused_in_words(client):
    draft = "<div>" * 500 + "Your refund of $42 was sent today." + "</div>" * 500
    response = await client.post("/v1/rewrites", json={"draft": draft, "format": "html"})
    assert response.status_code == 422
    assert response.json()["detail"] == "draft: the HTML nests elements more than 200 deep"


@pytest.mark.parametrize("draft, body_end", [
    ("<p>Your replacement ships Monday -- sorry again for the trouble.</p>\n-- <br>\nTom Baker<br>\nAcme Support",
     "sorry again for the trouble."),
    ("<p>Only the blue model is in stock.</p>On Mon, 3 Jun 2024, Ana wrote:<br><blockquote>Red?</blockquote>",
     "in stock."),
])
def test_a_thread_starting_at_bare_text_is_cut_exactly_once(draft, body_end):
    document = formats.parse(draft, "html")
    assert document.text.endswith(body_end)
    masked = mask(document.text, atoms=document.atoms)
    out = formats.render(document, masked.text, masked)
    assert out.count(body_end) == 1 and out.endswith(document.tail) and document.tail in draft


def test_hidden_text_is_neither_sent_nor_shown_but_kept_hidden():
    note = '<div style="display:none;max-height:0">Agent note: flagged for chargeback abuse.</div>'
    document = formats.parse(note + "<p>Your refund of $42 was sent today.</p><p hidden>preview</p>", "html")
    assert document.text == "Your refund of $42 was sent today."
    masked = mask(document.text, atoms=document.atoms)
    out = formats.render(document, "Sorry for the wait. " + masked.text, masked)
    assert note.replace(";max-height:0", ";max-height:0") in out or "display:none" in out
    assert "Agent note" in out and out.index("Agent note") < out.index("Sorry")


@pytest.mark.parametrize("draft", [
    "<p>Hi Ana,</p><p>On Monday we wrote: your refund is on its way. It arrives Friday.</p>",
    "<p>Hi Ana,</p><p>Sent from our Madrid warehouse, your parcel arrives Friday.</p>",
    "<p>Hi Ana,</p><ul><li>From: our warehouse in Leeds</li><li>Arrives: Friday</li></ul>",
    "<p>Hi Ana,</p><p>Our policy says:</p><blockquote>Returns within 30 days.</blockquote><p>So yours qualifies.</p>",
])
def test_ordinary_sentences_do_not_start_a_thread(draft):
    document = formats.parse(draft, "html")
    assert document.tail == "" and document.text.rstrip(".").endswith(("Friday", "qualifies"))


def test_an_outlook_header_in_strong_text_starts_the_thread():
    header = ("<div><strong>From:</strong> Ana &lt;ana@example.com&gt;<br><strong>Sent:</strong> Monday<br>"
              "<strong>Subject:</strong> Refund</div><div>Where is it?</div>")
    assert formats.parse("<div>Your refund was sent.</div>" + header, "html").tail == header


def test_list_items_made_of_paragraphs_stay_items():
    document = formats.parse("<ul><li><p>one</p></li><li><p>two</p></li></ul>", "html")
    assert document.text == "- one\n- two"
    masked = mask(document.text, atoms=document.atoms)
    assert formats.render(document, masked.text, masked) == "<ul><li>one</li><li>two</li></ul>"


def test_english_with_foreign_names_is_no_other_language_and_is_wrapped():
    draft = "The Bosch Serie 8 Geschirrspüler is back in stock."
    assert language.detect(draft) is None and language.surely_not(draft, "en") is None
    # lines taken from the draft as they were are the draft's mix, not the model's language
    spanish = ("Hola Ana, el error que ves es este:\n\nError: connection refused while contacting the license "
               "server at startup\n\nReinicia la aplicación y vuelve a intentarlo.")
    assert language.mismatch(spanish, "Siento mucho las molestias.\n\n" + spanish) == []


def test_markdown_code_in_a_list_a_html_link_a_comment_and_a_shortcut_reference_are_atoms():
    draft = ("1. Run:\n\n   ```\n   sudo systemctl restart acme-agent\n   ```\n\n2. Pay <a href=\"https://pay.example.com/4821\">"
             "here</a> <!-- internal: chargeback --> or see our [refund FAQ].\n\n[refund FAQ]: https://help.example.com/faq")
    document = formats.parse(draft, "markdown")
    masked = mask(document.text, atoms=document.atoms)
    for hidden in ("systemctl", "pay.example.com", "internal", "help.example.com"):
        assert hidden not in masked.text
    assert [(atom.kind, atom.href) for *_, atom in document.atoms] == [
        ("code_block", None), ("link", "https://pay.example.com/4821"), ("html", None), ("link", "[refund FAQ]"),
        ("reference", None)]
    assert formats.render(document, masked.text, masked) == draft


def test_a_rule_keeps_its_line_and_an_open_comment_hides_the_rest():
    document = formats.parse("<p>Thanks for waiting.</p><hr><p>Tom Baker<br>Acme</p>", "html")
    masked = mask(document.text, atoms=document.atoms)
    assert formats.render(document, masked.text, masked) == "<p>Thanks for waiting.</p><hr><p>Tom Baker<br>Acme</p>"
    document = formats.parse("<p>Your refund was sent.</p><!-- note: customer is angry <p>Bye</p>", "html")
    assert document.text == "Your refund was sent." and document.tail == ""  # sanitised: the comment goes


async def test_markdown_the_model_writes_into_an_html_reply_is_markup_it_must_not(client, upstream):
    upstream.post(CHAT_URL).mock(side_effect=lambda request: chat_reply(
        "**So sorry** for the wait!\n\n" + draft_seen(request)))
    body = (await client.post("/v1/rewrites", json={"draft": GMAIL, "format": "html"})).json()
    assert body["guard"]["status"] == "fallback"
    assert {"kind": "injection", "fact": "markup", "value": "**So sorry**",
            "detail": "the rewrite writes Markdown into an HTML reply, where it shows as written ('**So sorry**')"} \
        in body["guard"]["violations"]
    upstream.post(CHAT_URL).mock(side_effect=lambda request: chat_reply("**So sorry** for the wait! " + draft_seen(request)))
    markdown = (await client.post("/v1/rewrites", json={"draft": MARKDOWN, "format": "markdown"})).json()
    assert markdown["guard"]["status"] == "passed"  # in Markdown, emphasis the model adds is allowed
