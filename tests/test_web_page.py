"""The support agents' page (`GET /`, files in api/http/static/), driven in real headless Chromium.

The service runs for real: uvicorn on a free loopback port, in a thread of this process, so the
browser talks HTTP to it like an agent's would. Only the model provider is mocked, with respx at
litellm's httpx layer as everywhere else in the suite. The browser is Debian's `/usr/bin/chromium`
driven by Playwright (no browser download, no network). Without it these tests skip, unless
REWRITER_TEST_REQUIRE_SYSTEM=1 (CI), where a missing browser fails them.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import hashlib
import json
import os
import re
import socket
import struct
import threading
import time
import zlib
from pathlib import Path

import httpx
import pytest
import respx
import uvicorn

from api.http.app import create_app
from tests.conftest import CHAT_URL, chat_reply, make_settings, sse_body

CHROMIUM = Path("/usr/bin/chromium")
REQUIRE_SYSTEM = os.environ.get("REWRITER_TEST_REQUIRE_SYSTEM") == "1"

DRAFT = "Your refund for order #4821 was rejected because the item was used. Nothing we can do."
CUSTOMER = "I sent the blender back two weeks ago and still have no refund!"
OPENING = "I'm sorry, I know this is not the answer you hoped for."
REWRITE = f"{OPENING} Your refund for order #4821 was rejected because the item was used, so I cannot help."
WITHOUT_ORDER = f"{OPENING} Your refund was rejected because the item was used, so I cannot help."
KEY = "rr_web-page-test-key"
ACCENT = bytes.fromhex("1f5fbf")  # the Rewrite button: proves the stylesheet loaded under the CSP


# --- the mocked provider -------------------------------------------------------------------


class Upstream:
    """What the mocked model provider answers; each test changes it, the service calls it."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.text = REWRITE
        self.respond = None  # a function of the request body that answers instead of `text`
        self.status: int | None = None  # answer this HTTP error instead
        self.gate: threading.Event | None = None  # the stream waits after its first sentence until set
        self.fail_mid_stream = False  # the connection breaks after the first sentence
        self.calls: list[dict] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.calls.append(body)
        if self.status:
            error = {"message": "provider exploded", "type": "server_error"}
            return httpx.Response(self.status, json={"error": error})
        text = self.respond(body) if self.respond else self.text
        if not body.get("stream"):
            return chat_reply(text)
        rest = text.removeprefix(OPENING)
        words = re.findall(r"\s*\S+", rest)
        pieces = [OPENING, *words] if rest != text else words
        events = [event + b"\n\n" for event in sse_body(pieces).split(b"\n\n") if event]
        return httpx.Response(200, headers={"content-type": "text/event-stream"},
                              content=self._stream(events, self.gate, self.fail_mid_stream))

    @staticmethod
    async def _stream(events: list[bytes], gate: threading.Event | None, fail: bool):
        for index, event in enumerate(events):
            if index == 2:  # events[0] opens the message, events[1] is the first sentence
                if fail:
                    raise httpx.ReadError("connection reset by the provider")
                while gate is not None and not gate.is_set():
                    await asyncio.sleep(0.02)
            yield event


# --- the service and the browser -----------------------------------------------------------


class Service:
    """The app on a free loopback port, served by uvicorn in a background thread."""

    def __init__(self, **overrides) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/"
        app = create_app(make_settings(timeout_s=10.0, **overrides))
        config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=1)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> "Service":
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the service did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


@pytest.fixture(scope="module")
def browser():
    problem = None
    if not CHROMIUM.exists():
        problem = f"{CHROMIUM} is missing (Debian: apt-get install chromium)"
    else:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            problem = "playwright is not installed (pip install -e '.[test]')"
    if problem:
        if REQUIRE_SYSTEM:
            pytest.fail(f"REWRITER_TEST_REQUIRE_SYSTEM=1 but {problem}", pytrace=False)
        pytest.skip(f"browser tests need Chromium: {problem}")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def provider(browser):
    mocked = Upstream()
    with respx.mock(assert_all_called=False) as router:
        router.post(CHAT_URL).mock(side_effect=mocked)
        yield mocked


@pytest.fixture
def upstream(provider):
    """The mocked provider, back to a plain good answer for each test."""
    provider.reset()
    return provider


@pytest.fixture(scope="module")
def service(provider):
    with Service() as running:
        yield running


@pytest.fixture(scope="module")
def keyed_service(provider):
    with Service(api_keys=[f"agent:{hashlib.sha256(KEY.encode()).hexdigest()}"]) as running:
        yield running


def new_page(browser, width: int = 1280, height: int = 900, **options):
    """A page in a fresh context (empty local storage) that records console errors; `options` for
    the context (has_touch, is_mobile, user_agent...)."""
    context = browser.new_context(viewport={"width": width, "height": height}, color_scheme="light", **options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.errors = []
    page.on("console", lambda message: message.type == "error" and page.errors.append(message.text))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    return page


@pytest.fixture
def page(browser):
    page = new_page(browser)
    yield page
    page.context.close()


def wait_for_templates(page) -> None:
    # A locator, not wait_for_function: the page's CSP forbids the eval that polling would need.
    page.locator("#template option[value='empathetic']").wait_for(state="attached")


# --- screenshots ---------------------------------------------------------------------------


def png_colours(data: bytes) -> collections.Counter:
    """How many pixels of each RGB colour a (non-interlaced, 8-bit RGB/RGBA) PNG holds."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, []
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            assert depth == 8 and colour in (2, 6) and not interlace, "unexpected PNG format"
        elif kind == b"IDAT":
            idat.append(chunk)
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    previous = bytearray(stride)
    counts: collections.Counter = collections.Counter()
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride if kind else 0):  # undo the row filter (PNG spec, section 9)
            a = line[i - bpp] if i >= bpp else 0
            b = previous[i]
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                c = previous[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        counts.update(bytes(line[i:i + 3]) for i in range(0, stride, bpp))
        previous = line
    return counts


def assert_screenshot_not_blank(page, path: Path) -> None:
    page.screenshot(path=str(path))
    counts = png_colours(path.read_bytes())
    total = sum(counts.values())
    assert len(counts) > 50, f"{path.name}: only {len(counts)} colours"
    assert counts.most_common(1)[0][1] / total < 0.95, f"{path.name}: one colour covers the page"
    assert counts[ACCENT] > 500, f"{path.name}: no Rewrite button colour (stylesheet not applied?)"


# --- the tests -----------------------------------------------------------------------------


def test_rewrite_streams_in_then_shows_diff_verdict_and_details(page, service, upstream, tmp_path):
    from playwright.sync_api import expect

    gate = threading.Event()
    upstream.gate = gate
    response = page.goto(service.url)
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp and "unsafe-inline" not in csp

    wait_for_templates(page)  # the live list from GET /v1/templates
    options = page.locator("#template option").all_inner_texts()
    assert "empathetic (default)" in options and "concise" in options and "friendly" in options
    page.get_by_label("Template", exact=True).select_option("empathetic")
    assert page.locator("#template-version option").all_inner_texts() == ["Latest (v3)", "v3", "v2", "v1"]
    page.get_by_label("Version", exact=True).select_option("1")
    page.get_by_label("Customer's message").fill(CUSTOMER)
    page.get_by_label("Your draft", exact=True).fill(DRAFT)
    page.get_by_label("Customer name").fill("Ana")

    with page.expect_request(lambda r: r.url.endswith("/v1/rewrites")) as sent:
        page.get_by_role("button", name="Rewrite", exact=True).click()
    assert sent.value.post_data_json == {
        "draft": DRAFT, "customer_message": CUSTOMER, "template": "empathetic", "template_version": 1,
        "variables": {"customer_name": "Ana"}, "stream": True,
    }

    # The first sentence is on screen while the provider still holds the rest of the stream.
    text = page.locator("#rewrite-text")
    expect(text).to_have_text(OPENING)
    expect(text).to_have_class(re.compile(r"\bpreview\b"))
    expect(text).to_have_attribute("aria-busy", "true")
    expect(page.locator("#result")).to_be_hidden()
    gate.set()

    expect(page.locator("#verdict-summary")).to_have_text("Every fact of your draft is kept.")
    expect(page.get_by_label("Your reply")).to_have_value(REWRITE)  # the checked rewrite, editable
    expect(text).to_have_text("")  # the preview gave way to it
    expect(text).to_have_attribute("aria-busy", "false")
    expect(page.get_by_role("status")).to_contain_text("every fact kept")
    expect(page.locator(".facts li")).to_have_text(["order number #4821"])
    expect(page.locator("#diff ins").first).to_contain_text(OPENING)
    expect(page.locator("#diff del").first).to_contain_text("Nothing we can do.")
    unchanged = page.locator("#diff").evaluate(
        "d => [...d.childNodes].filter(n => n.nodeType === Node.TEXT_NODE).map(n => n.textContent).join('')"
    )
    assert "Your refund for order #4821 was rejected because the item was" in unchanged
    meta = page.locator("#meta")
    expect(meta).to_contain_text("openai/gpt-4o-mini")
    expect(meta).to_contain_text("empathetic v1")
    expect(meta).to_contain_text(re.compile(r"Time\s*[\d.]+ m?s"))
    assert upstream.calls[0]["stream"] is True

    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=service.url.rstrip("/"))
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("status")).to_have_text("Copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == REWRITE

    assert_screenshot_not_blank(page, tmp_path / "rewrite-1280.png")
    assert page.errors == []  # no script error, no Content-Security-Policy violation


def test_lost_fact_explains_the_fallback_at_phone_width(browser, service, upstream, tmp_path):
    from playwright.sync_api import expect

    upstream.text = WITHOUT_ORDER  # the stream and the repair both drop the order number
    page = new_page(browser, width=375, height=800)
    try:
        page.goto(service.url)
        wait_for_templates(page)
        page.get_by_label("Your draft", exact=True).fill(DRAFT)
        page.get_by_role("button", name="Rewrite", exact=True).click()

        expect(page.locator("#verdict-summary")).to_have_text(
            "You get your draft unchanged, because the rewrite dropped the order number #4821."
        )
        expect(page.get_by_label("Your reply")).to_have_value(DRAFT)
        expect(page.get_by_role("status")).to_contain_text("Your draft is back unchanged")
        expect(page.locator("#diff")).to_have_text("No changes: this is your draft as you wrote it.")
        page.get_by_text("See the rejected rewrite").click()
        expect(page.locator(".rejected p")).to_have_text(WITHOUT_ORDER)
        # the stream, then one (plain) repair call
        assert [bool(call.get("stream")) for call in upstream.calls] == [True, False]

        # Readable on a phone: nothing wider than the screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        assert_screenshot_not_blank(page, tmp_path / "fallback-375.png")
        assert page.errors == []
    finally:
        page.context.close()


def test_provider_failure_is_explained_and_try_again_recovers(page, service, upstream):
    from playwright.sync_api import expect

    upstream.status = 500  # every attempt fails: the service answers 502 after its retries
    page.goto(service.url)
    wait_for_templates(page)
    page.get_by_label("Your draft", exact=True).fill(DRAFT)
    page.get_by_role("button", name="Rewrite", exact=True).click()

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("The language model did not answer properly, even after retrying.")
    expect(alert).to_contain_text("Reference for your admin:")
    expect(page.get_by_role("status")).to_have_text("The rewrite failed: see the message below.")
    expect(page.locator("#rewrite-text")).to_have_text("")
    expect(page.get_by_label("Your reply")).to_be_hidden()
    expect(page.get_by_role("button", name="Copy")).to_be_hidden()
    assert len(upstream.calls) == 3  # one call and two retries

    upstream.status = None
    page.get_by_role("button", name="Try again").click()
    expect(page.locator("#verdict-summary")).to_have_text("Every fact of your draft is kept.")
    expect(alert).to_be_hidden()


def test_failure_mid_stream_discards_the_preview(page, service, upstream):
    from playwright.sync_api import expect

    upstream.fail_mid_stream = True  # after the first sentence: an `error` event, not a status code
    page.goto(service.url)
    wait_for_templates(page)
    page.get_by_label("Your draft", exact=True).fill(DRAFT)
    page.get_by_role("button", name="Rewrite", exact=True).click()

    expect(page.get_by_role("alert")).to_contain_text(
        "The rewrite failed partway and was discarded. The language model stopped answering."
    )
    expect(page.locator("#rewrite-text")).to_have_text("")
    expect(page.get_by_label("Your reply")).to_be_hidden()
    expect(page.locator("#result")).to_be_hidden()


def test_api_key_kept_in_local_storage_never_in_the_url(page, keyed_service, upstream):
    from playwright.sync_api import expect

    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    response = page.goto(keyed_service.url)
    assert response.status == 200  # the page itself needs no key
    key_field = page.get_by_label("API key")
    expect(key_field).to_have_accessible_description(re.compile(r"^This service needs an API key\."))
    expect(page.locator("#key-section")).to_have_attribute("open", "")

    page.get_by_label("Your draft", exact=True).fill(DRAFT)
    key_field.fill("rr_not-the-key")
    page.get_by_role("button", name="Rewrite", exact=True).click()
    expect(key_field).to_have_accessible_description(re.compile(r"^The service did not accept this API key\."))
    expect(page.get_by_role("status")).to_have_text("The rewrite failed: see the message under “API key”.")
    assert page.evaluate("document.activeElement.id") == "api-key"

    key_field.fill(KEY)
    page.keyboard.press("Tab")  # leaving the field reloads the templates with the key
    wait_for_templates(page)
    assert page.evaluate("localStorage.getItem('reply-rewriter.api-key')") == KEY
    expect(page.locator(".field-error")).to_have_count(0)
    with page.expect_request(lambda r: r.url.endswith("/v1/rewrites")) as sent:
        page.get_by_role("button", name="Rewrite", exact=True).click()
    assert sent.value.headers["authorization"] == f"Bearer {KEY}"
    expect(page.locator("#verdict-summary")).to_have_text("Every fact of your draft is kept.")

    page.reload()  # a new visit: the key comes back from local storage
    expect(page.get_by_label("API key")).to_have_value(KEY)
    wait_for_templates(page)
    assert all(KEY not in url for url in [*urls, page.url])

    page.get_by_text("API key (saved in this browser)").click()  # open the collapsed key section
    page.get_by_role("button", name="Forget the key").click()
    assert page.evaluate("localStorage.getItem('reply-rewriter.api-key')") is None


def test_keyboard_only_and_every_control_labelled(page, service, upstream):
    from playwright.sync_api import expect

    page.goto(service.url)
    wait_for_templates(page)
    unlabelled = page.evaluate(
        "[...document.querySelectorAll('input, select, textarea')]"
        ".filter(e => !e.labels.length).map(e => e.id)"
    )
    assert unlabelled == []
    assert page.locator("#rewrite-text").get_attribute("aria-live") == "polite"
    assert page.locator("#status").get_attribute("aria-live") == "polite"

    page.get_by_label("Customer's message").focus()
    page.keyboard.press("Control+Enter")  # nothing to rewrite yet: said by the draft, focus on it
    expect(page.get_by_label("Your draft", exact=True)).to_have_accessible_description(
        re.compile(r"^Write or paste your draft first\.")
    )
    expect(page.get_by_role("status")).to_have_text("Nothing was sent: see the message under “Your draft”.")
    assert page.evaluate("document.activeElement.id") == "draft"
    assert upstream.calls == []

    page.keyboard.type(DRAFT)
    with page.expect_request(lambda r: r.url.endswith("/v1/rewrites")):
        page.keyboard.press("Control+Enter")
    expect(page.locator("#verdict-summary")).to_have_text("Every fact of your draft is kept.")
    assert len(upstream.calls) == 1

    page.get_by_label("Your draft", exact=True).focus()  # Tab reaches the Rewrite button, Enter presses it
    for _ in range(15):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "rewrite":
            break
    assert page.evaluate("document.activeElement.id") == "rewrite"
    with page.expect_request(lambda r: r.url.endswith("/v1/rewrites")):
        page.keyboard.press("Enter")
    expect(page.locator("#verdict-summary")).to_have_text("Every fact of your draft is kept.")
    assert len(upstream.calls) == 2


def test_a_turned_round_decision_is_explained_in_words(page, service, upstream):
    from playwright.sync_api import expect

    upstream.text = "Good news: your refund for order #4821 was issued because the item was used. Nothing we can do."
    page.goto(service.url)
    wait_for_templates(page)
    page.get_by_label("Your draft", exact=True).fill(DRAFT)
    page.get_by_role("button", name="Rewrite", exact=True).click()
    expect(page.locator("#verdict-summary")).to_have_text(
        "You get your draft unchanged, because the rewrite said “issued” where your draft says “rejected”."
    )
    expect(page.get_by_label("Your reply")).to_have_value(DRAFT)
    assert page.errors == []


# --- the issue's six defects, one test each -------------------------------------------------


ADDED_THREE = (
    f"{OPENING} Your refund for order #4821 was rejected because the item was used. "
    "I will call you on Friday, May 2 about ticket #5512. Nothing we can do."
)


@pytest.fixture(scope="module")
def limited_service(provider):
    """Drafts and customer messages of at most 100 characters."""
    with Service(max_draft_chars=100) as running:
        yield running


def visible_text(locator) -> str:
    """The text a sighted reader sees: without the visually hidden labels."""
    return locator.evaluate(
        "e => { const c = e.cloneNode(true); c.querySelectorAll('.sr-only').forEach(n => n.remove()); return c.textContent; }"
    )


def test_diff_keeps_the_spaces_and_reads_without_colour(browser, service, upstream):
    from playwright.sync_api import expect

    page = new_page(browser, forced_colors="active")  # as in Windows high contrast: no colours of ours
    try:
        page.goto(service.url)
        wait_for_templates(page)
        page.get_by_label("Your draft", exact=True).fill(DRAFT)
        page.get_by_role("button", name="Rewrite", exact=True).click()
        expect(page.locator("#verdict-summary")).to_have_text("Every fact of your draft is kept.")

        diff = page.locator("#diff")
        # The deleted end of the draft and the rewrite's new end are two runs, not "do.used,".
        assert visible_text(diff) == (
            f"{OPENING} Your refund for order #4821 was rejected because the item was "
            "used. Nothing we can do. used, so I cannot help."
        )
        expect(diff).to_have_text(
            f"[added: {OPENING}] Your refund for order #4821 was rejected because the item was "
            "[removed: used. Nothing we can do.] [added: used, so I cannot help.]"
        )
        # Marked runs hold words only; the spaces around them are plain text.
        for run in page.locator("#diff ins, #diff del").all():
            assert visible_text(run) == visible_text(run).strip()
        # Without colour, a deletion is still struck through and an insertion underlined.
        assert "line-through" in page.locator("#diff del").first.evaluate("e => getComputedStyle(e).textDecorationLine")
        assert "underline" in page.locator("#diff ins").first.evaluate("e => getComputedStyle(e).textDecorationLine")
        assert page.errors == []
    finally:
        page.context.close()


def test_verdict_groups_the_violations_by_kind(page, service, upstream):
    from playwright.sync_api import expect

    upstream.text = ADDED_THREE  # three facts the draft does not have, in the stream and the repair
    page.goto(service.url)
    wait_for_templates(page)
    page.get_by_label("Your draft", exact=True).fill(DRAFT)
    page.get_by_role("button", name="Rewrite", exact=True).click()
    summary = page.locator("#verdict-summary")
    expect(summary).to_have_text(
        "You get your draft unchanged, because the rewrite added three facts that are not in your draft: "
        "the day Friday, the date May 2 and the ticket number #5512."
    )

    # Two kinds: a sentence each, the outcome said once.
    page.get_by_label("Your draft", exact=True).fill(DRAFT.replace("#4821", "#4821 of $30"))
    page.get_by_role("button", name="Rewrite", exact=True).click()
    expect(summary).to_have_text(
        "You get your draft unchanged, because the rewrite dropped the amount $30. It added three facts "
        "that are not in your draft: the day Friday, the date May 2 and the ticket number #5512."
    )
    assert summary.inner_text().count("not in your draft") == 1
    assert page.errors == []


def test_a_refused_key_is_not_saved_and_is_explained_once_by_the_key_field(page, keyed_service, upstream):
    from playwright.sync_api import expect

    page.goto(keyed_service.url)
    key_field = page.get_by_label("API key")
    template_hint = page.locator("#template-hint")
    expect(template_hint).to_have_text("The default template is used until the service accepts your API key.")

    key_field.fill("rr_not-the-key")
    page.keyboard.press("Tab")  # the templates are asked for with it, and refused
    refused = "The service did not accept this API key. Check it, then try again."
    expect(page.locator("#api-key-error")).to_have_text(refused)
    expect(page.get_by_text("did not accept")).to_have_count(1)  # by the key field, nowhere else
    expect(template_hint).to_have_text("The default template is used until the service accepts your API key.")
    assert page.evaluate("localStorage.getItem('reply-rewriter.api-key')") is None
    expect(page.locator("#key-section summary")).to_have_text("API key")

    page.get_by_label("Your draft", exact=True).fill(DRAFT)
    page.get_by_role("button", name="Rewrite", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("The rewrite failed: see the message under “API key”.")
    expect(page.get_by_text("did not accept")).to_have_count(1)
    expect(page.get_by_role("alert")).to_be_hidden()
    assert page.evaluate("localStorage.getItem('reply-rewriter.api-key')") is None
    assert upstream.calls == []

    # A saved key that the service no longer accepts (revoked) is forgotten on its first refusal.
    page.evaluate("localStorage.setItem('reply-rewriter.api-key', 'rr_revoked-key')")
    page.reload()
    expect(page.locator("#api-key-error")).to_have_text(refused)
    assert page.evaluate("localStorage.getItem('reply-rewriter.api-key')") is None

    key_field.fill(KEY)
    page.keyboard.press("Tab")
    wait_for_templates(page)
    assert page.evaluate("localStorage.getItem('reply-rewriter.api-key')") == KEY
    expect(page.locator("#key-section summary")).to_have_text("API key (saved in this browser)")
    expect(page.locator("#api-key-error")).to_have_count(0)
    assert page.errors == [] or all("401" in error for error in page.errors)  # the refused fetches


MAC = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"


@pytest.mark.parametrize(("width", "options", "hint"), [
    (1280, {}, "Ctrl+Enter from any field"),
    (1280, {"user_agent": MAC}, "⌘+Enter from any field"),
    (375, {"has_touch": True, "is_mobile": True}, None),  # a phone: no keyboard, no keyboard hint
])
def test_the_shortcut_hint_fits_the_device(browser, service, upstream, width, options, hint):
    from playwright.sync_api import expect

    page = new_page(browser, width=width, height=800, **options)
    try:
        page.goto(service.url)
        wait_for_templates(page)
        button = page.get_by_role("button", name="Rewrite", exact=True)
        if hint:
            expect(page.locator("#shortcut")).to_have_text(hint)
            expect(button).to_have_accessible_description(hint)
        else:
            expect(page.locator("#shortcut")).to_be_hidden()
            expect(button).to_have_accessible_description("")  # a hidden hint is read out all the same
            page.get_by_label("Your draft", exact=True).fill(DRAFT)
            button.tap()
            expect(page.locator("#verdict-summary")).to_have_text("Every fact of your draft is kept.")
            assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert page.errors == []
    finally:
        page.context.close()


def test_the_boxes_count_down_to_the_services_limit_and_refuse_more(browser, service, limited_service, upstream):
    from playwright.sync_api import expect

    page = new_page(browser, width=375, height=800)
    try:
        response = page.goto(service.url)  # the default settings: 8,000
        assert "unsafe-inline" not in response.headers["content-security-policy"]
        expect(page.locator("#draft-count")).to_have_text("8,000 characters left")

        page.goto(limited_service.url)  # the limit comes from the settings of the service
        wait_for_templates(page)
        draft = page.get_by_label("Your draft", exact=True)
        customer = page.get_by_label("Customer's message")
        expect(draft).to_have_attribute("data-max-chars", "100")
        expect(page.locator("#customer-message-count")).to_have_text("100 characters left")
        draft.fill("😀" * 99)  # counted as the service counts: one character each
        expect(page.locator("#draft-count")).to_have_text("1 character left")
        expect(draft).to_have_accessible_description(re.compile(r"^1 character left"))

        draft.fill("x" * 130)
        expect(page.locator("#draft-count")).to_have_text("30 characters over the limit of 100")
        page.get_by_role("button", name="Rewrite", exact=True).click()
        expect(draft).to_have_accessible_description(re.compile(
            r"^Your draft is 130 characters long; the limit is 100\. Shorten it by 30 characters, then try again\."
        ))
        expect(page.get_by_role("status")).to_have_text("Nothing was sent: see the message under “Your draft”.")
        assert page.evaluate("document.activeElement.id") == "draft"

        draft.fill(DRAFT[:90])
        expect(page.locator("#draft-error")).to_have_count(0)  # typing clears it
        customer.fill("y" * 101)
        page.get_by_role("button", name="Rewrite", exact=True).click()
        expect(page.locator("#customer-message-error")).to_have_text(
            "The customer's message is 101 characters long; the limit is 100. Shorten it by 1 character, then try again."
        )
        assert page.evaluate("document.activeElement.id") == "customer-message"
        assert upstream.calls == []  # nothing over the limit reached the service
        assert page.errors == []
    finally:
        page.context.close()


def test_a_422_is_shown_by_the_field_it_names_which_gets_the_focus(page, service, upstream):
    from playwright.sync_api import expect

    page.goto(service.url)
    wait_for_templates(page)
    page.get_by_label("Template", exact=True).select_option("empathetic")
    page.get_by_label("Your draft", exact=True).fill(DRAFT)
    tone = page.get_by_label("Tone")
    tone.fill("!!")  # the service refuses it: the template's pattern for tone
    with page.expect_response(lambda r: r.url.endswith("/v1/rewrites")) as answer:
        page.get_by_role("button", name="Rewrite", exact=True).click()
    refused = answer.value.json()
    assert answer.value.status == 422 and "tone" in refused["detail"]
    said = refused["detail"].removeprefix("variables.tone: ").rstrip(".")  # as the API words it
    expect(page.locator("#var-tone-error")).to_have_text(said[0].upper() + said[1:] + ".")
    expect(tone).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("status")).to_have_text("The rewrite failed: see the message under “Tone”.")
    expect(page.get_by_role("alert")).to_be_hidden()
    assert page.evaluate("document.activeElement.id") == "var-tone"
    tone.fill("calm")
    expect(page.locator("#var-tone-error")).to_have_count(0)

    # The validation shape: errors [{field, message}] (a field and message of its own each).
    problem = {
        "type": "about:blank", "title": "Invalid request", "status": 422,
        "detail": "customer_message: Input should be a valid string; model: Input should be a valid string",
        "errors": [{"field": "model", "message": "Input should be a valid string"},
                   {"field": "customer_message", "message": "Input should be a valid string"}],
    }
    page.route("**/v1/rewrites", lambda route: route.fulfill(
        status=422, content_type="application/problem+json", body=json.dumps(problem)))
    page.get_by_role("button", name="Rewrite", exact=True).click()
    expect(page.locator("#customer-message-error")).to_have_text("Input should be a valid string.")
    assert page.evaluate("document.activeElement.id") == "customer-message"
    # The model is not a field of the page: the whole detail is said below too, nothing dropped.
    expect(page.get_by_role("alert")).to_contain_text("model: Input should be a valid string")

    # A field the page does not have: said below, as before.
    problem.update(errors=[{"field": "model", "message": "model 'x' is not allowed"}], detail="model: model 'x' is not allowed")
    page.get_by_role("button", name="Rewrite", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("The service could not use this request. (model: model 'x' is not allowed.)")
    expect(page.locator(".field-error")).to_have_count(0)
    assert page.errors == [] or all("422" in error for error in page.errors)


# --- the agent's feedback (issue 18): Copy and "Not useful" tell the feedback store ----------


EDITED = REWRITE.replace("so I cannot help.", "so I cannot refund it, but I can offer you a repair.")
FEEDBACK_CALL = "**/v1/rewrites/*/feedback"


@pytest.fixture(scope="module")
def feedback_service(provider, tmp_path_factory):
    """The service with its feedback store on (REWRITER_FEEDBACK, REWRITER_FEEDBACK_DB), on SQLite."""
    db = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('feedback') / 'f.db'}"
    with Service(feedback=True, feedback_db=db) as running:
        running.feedback_db = db
        yield running


def stored(service: Service, rewrite_id: str) -> dict | None:
    """The rewrite's row, read from the service's database file by a store of our own."""
    from api.feedback.store import FeedbackStore

    async def read():
        store = FeedbackStore(service.feedback_db)
        try:
            return await store.get(rewrite_id)
        finally:
            await store.close()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # out of Playwright's event loop
        return pool.submit(asyncio.run, read()).result()


def feedback_calls(page) -> list[tuple[str, dict]]:
    """(rewrite id, body) of each feedback call the page makes, from now on."""
    calls: list[tuple[str, dict]] = []
    page.on("request", lambda r: "/feedback" in r.url and calls.append((r.url.split("/")[-2], r.post_data_json)))
    return calls


def rewrite_in_page(page, service: Service) -> str:
    """Rewrites DRAFT in the page, clipboard allowed; the rewrite's id, from the stream's result."""
    from playwright.sync_api import expect

    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=service.url.rstrip("/"))
    page.goto(service.url)
    wait_for_templates(page)
    page.get_by_label("Your draft", exact=True).fill(DRAFT)
    streams: list[str] = []

    def read_through(route) -> None:  # Chromium keeps no body of a streamed fetch: read it on the way
        answer = route.fetch()
        streams.append(answer.text())
        route.fulfill(response=answer)

    page.route("**/v1/rewrites", read_through)
    page.get_by_role("button", name="Rewrite", exact=True).click()
    expect(page.locator("#verdict-summary")).to_have_text("Every fact of your draft is kept.")
    page.unroute("**/v1/rewrites")
    result = next(block for block in streams[0].replace("\r\n", "\n").split("\n\n") if block.startswith("event: result"))
    rewrite_id = json.loads(result.split("data: ", 1)[1])["id"]
    assert re.fullmatch(r"rw_[0-9a-f]{32}", rewrite_id)
    return rewrite_id


def test_copying_the_rewrite_as_it_is_is_noted_as_sent(page, feedback_service, upstream):
    from playwright.sync_api import expect

    calls = feedback_calls(page)
    rewrite_id = rewrite_in_page(page, feedback_service)
    expect(page.locator("#output")).to_have_attribute("data-feedback", "on")
    expect(page.get_by_label("Your reply")).to_have_value(REWRITE)
    assert stored(feedback_service, rewrite_id)["outcome"] is None  # recorded, no feedback yet

    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("status")).to_have_text("Copied to the clipboard. Noted: sent as is.")
    assert page.evaluate("navigator.clipboard.readText()") == REWRITE
    assert calls == [(rewrite_id, {"outcome": "sent"})]
    row = stored(feedback_service, rewrite_id)
    assert (row["outcome"], row["revision"], row["edit_distance"], row["sent_text"]) == ("sent", 1, 0, None)
    assert page.errors == []


def test_an_edited_reply_is_copied_and_noted_as_edited_after_each_edit(page, feedback_service, upstream):
    from playwright.sync_api import expect

    calls = feedback_calls(page)
    rewrite_id = rewrite_in_page(page, feedback_service)
    reply = page.get_by_label("Your reply")
    copy = page.get_by_role("button", name="Copy")
    status = page.get_by_role("status")
    copy.click()
    expect(status).to_have_text("Copied to the clipboard. Noted: sent as is.")

    reply.fill(EDITED)  # the agent fixes the rewrite, then copies it
    reply.press("Control+Enter")  # the rewrite shortcut does not start over from the reply box
    expect(reply).to_have_value(EDITED)
    with page.expect_response(FEEDBACK_CALL) as answer:
        copy.click()
    assert answer.value.json()["revision"] == 2
    expect(status).to_have_text("Copied to the clipboard. Noted: edited.")
    assert page.evaluate("navigator.clipboard.readText()") == EDITED
    row = stored(feedback_service, rewrite_id)
    assert (row["outcome"], row["sent_text"], row["revision"]) == ("edited", EDITED, 2)
    assert row["edit_distance"] > 0
    # The diff is still the model's rewrite against the draft, not the agent's edit.
    expect(page.locator("#diff ins").last).to_have_text("[added: used, so I cannot help.]")
    expect(page.locator("#diff")).not_to_contain_text("repair")

    # A further edit, copied again: sent again, and the last answer wins.
    reply.fill(f"{EDITED} Thank you for your patience.")
    with page.expect_response(FEEDBACK_CALL) as answer:
        copy.click()
    assert answer.value.json()["revision"] == 3
    assert stored(feedback_service, rewrite_id)["sent_text"] == f"{EDITED} Thank you for your patience."
    reply.fill(REWRITE)  # edited back to the rewrite as it was: sent as is
    with page.expect_response(FEEDBACK_CALL) as answer:
        copy.click()
    expect(status).to_have_text("Copied to the clipboard. Noted: sent as is.")
    row = stored(feedback_service, rewrite_id)
    assert (row["outcome"], row["sent_text"], row["revision"]) == ("sent", None, 4)
    assert [body for _, body in calls] == [
        {"outcome": "sent"}, {"outcome": "edited", "sent_text": EDITED},
        {"outcome": "edited", "sent_text": f"{EDITED} Thank you for your patience."}, {"outcome": "sent"},
    ]
    assert {called for called, _ in calls} == {rewrite_id}
    assert len(upstream.calls) == 1
    assert page.errors == []


def test_not_useful_is_noted_as_discarded_at_phone_width(browser, feedback_service, upstream):
    from playwright.sync_api import expect

    page = new_page(browser, width=375, height=800)
    try:
        calls = feedback_calls(page)
        rewrite_id = rewrite_in_page(page, feedback_service)
        button = page.get_by_role("button", name="Not useful")
        expect(button).to_have_accessible_description("Tells the service this rewrite did not help.")
        with page.expect_response(FEEDBACK_CALL):
            button.click()
        expect(page.get_by_role("status")).to_have_text("Noted: not useful.")
        assert calls == [(rewrite_id, {"outcome": "discarded"})]
        row = stored(feedback_service, rewrite_id)
        assert (row["outcome"], row["revision"], row["edit_distance"]) == ("discarded", 1, None)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        assert page.errors == []
    finally:
        page.context.close()


def test_a_failed_feedback_call_never_blocks_copying(page, feedback_service, upstream):
    from playwright.sync_api import expect

    rewrite_id = rewrite_in_page(page, feedback_service)
    status = page.get_by_role("status")
    page.route(FEEDBACK_CALL, lambda route: route.abort())  # the network fails
    page.get_by_role("button", name="Copy").click()
    expect(status).to_have_text("Copied to the clipboard. Feedback not saved: the service could not be reached.")
    assert page.evaluate("navigator.clipboard.readText()") == REWRITE
    assert stored(feedback_service, rewrite_id)["outcome"] is None

    page.unroute(FEEDBACK_CALL)  # back: the next copy sends it (a failed call is not taken as said)
    with page.expect_response(FEEDBACK_CALL):
        page.get_by_role("button", name="Copy").click()
    expect(status).to_have_text("Copied to the clipboard. Noted: sent as is.")
    assert stored(feedback_service, rewrite_id)["outcome"] == "sent"

    # The rewrite deleted meanwhile (DELETE /v1/rewrites/{id}): the service's 404, said in a few words.
    assert page.request.delete(f"{feedback_service.url}v1/rewrites/{rewrite_id}").status == 204
    page.get_by_role("button", name="Not useful").click()
    expect(status).to_have_text("Feedback not saved: the service no longer keeps this rewrite.")
    assert all("Failed to load resource" in error for error in page.errors)  # the failed calls only


def test_with_feedback_off_the_reply_is_editable_and_no_feedback_is_sent(page, service, upstream):
    from playwright.sync_api import expect

    calls = feedback_calls(page)
    rewrite_in_page(page, service)
    expect(page.locator("#output")).to_have_attribute("data-feedback", "off")
    expect(page.get_by_role("button", name="Not useful")).to_have_count(0)

    page.get_by_label("Your reply").fill(EDITED)  # editing works all the same: Copy takes the edit
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("status")).to_have_text("Copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == EDITED
    page.wait_for_timeout(300)  # time enough for a call the page should not make
    assert calls == []
    assert page.errors == []


# --- the whole loop (issue 18), on SQLite and on PostgreSQL ---------------------------------


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def loop_service(request, provider, tmp_path_factory):
    """The service with feedback on, its store on each backend (a PostgreSQL server of its own)."""
    from contextlib import ExitStack

    from tests.postgres import postgres_server

    with ExitStack() as stack:
        if request.param == "sqlite":
            db = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('loop') / 'f.db'}"
        else:
            db = stack.enter_context(postgres_server())
        running = stack.enter_context(Service(feedback=True, feedback_db=db))
        running.feedback_db = db
        yield running


def off_the_loop(function, *args):
    """Run `function` in a thread: Playwright's event loop owns this one."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(function, *args).result()


def test_rewrites_feedback_summary_export_and_eval_end_to_end(page, loop_service, upstream, tmp_path, monkeypatch):
    """Rewrites through the API and the page, each kind of feedback from both, the summary, a
    dataset exported from what the agents sent, and the eval harness run on it."""
    from playwright.sync_api import expect

    from api.core.settings import get_settings
    from evals.cli import main as evals_main

    api, url = page.request, loop_service.url  # HTTP from the browser's side (respx mocks this process's httpx)
    ids = [api.post(url + "v1/rewrites", data={"draft": DRAFT}).json()["id"] for _ in range(3)]
    for rewrite_id, answer in zip(ids, [{"outcome": "sent"}, {"outcome": "edited", "sent_text": EDITED},
                                        {"outcome": "discarded"}]):
        assert api.post(url + f"v1/rewrites/{rewrite_id}/feedback", data=answer).status == 200
    status = page.get_by_role("status")
    rewrite_in_page(page, loop_service)
    page.get_by_role("button", name="Copy").click()
    expect(status).to_have_text("Copied to the clipboard. Noted: sent as is.")
    rewrite_in_page(page, loop_service)
    page.get_by_label("Your reply").fill(EDITED)
    page.get_by_role("button", name="Copy").click()
    expect(status).to_have_text("Copied to the clipboard. Noted: edited.")
    rewrite_in_page(page, loop_service)
    page.get_by_role("button", name="Not useful").click()
    expect(status).to_have_text("Noted: not useful.")
    summary = api.get(url + "v1/feedback/summary", params={"since": "1h"}).json()
    (group,) = summary["groups"]
    assert (group["rewrites"], group["with_feedback"]) == (6, 6)
    assert group["share"] == {"sent": 0.3333, "edited": 0.3333, "discarded": 0.3333}
    assert group["median_edit_distance"] > 0 and group["guard"] == {"passed": 6}

    cases = tmp_path / "cases.jsonl"
    assert off_the_loop(evals_main, ["dataset", "from-feedback", "--db", loop_service.feedback_db,
                                     "--out", str(cases)]) == 0
    exported = [json.loads(line) for line in cases.read_text().splitlines()]
    # Two sent as is and two edited alike: one case each, with what the agents sent for reference.
    assert sorted(case["reference"] for case in exported) == sorted([REWRITE, EDITED])
    assert all(case["draft"] == DRAFT and "source:feedback" in case["tags"] for case in exported)

    for name, value in {"REWRITER_MODEL": "openai/gpt-4o-mini", "REWRITER_MODEL_API_BASE": CHAT_URL.rsplit("/", 2)[0],
                        "REWRITER_MODEL_API_KEY": "sk-test", "REWRITER_MAX_RETRIES": "0"}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        assert off_the_loop(evals_main, ["run", "--dataset", str(cases), "--out", str(tmp_path / "run"),
                                         "--cache-dir", str(tmp_path / "cache"), "--no-progress",
                                         "--no-embeddings"]) == 0
    finally:
        get_settings.cache_clear()
    results = [json.loads(line) for line in (tmp_path / "run" / "results.jsonl").read_text().splitlines()]
    assert len(results) == 2 and {r["status"] for r in results} == {"ok"}


# --- HTML and Markdown drafts (issue 19): rendered in a sandbox, copied as source -----------


DRAFT_BLOCK = re.compile(r"<(draft[\w-]*)>\n(.*?)\n</\1>", re.S)
TRACK = "https://help.example.com/t?o=4821"
HTML_DRAFT = (
    '<p>Hi Ana,</p><p>Your refund of <b>$42.00</b> for order #4821 is approved. Track it '
    f'<a href="{TRACK}">on the tracking page</a>.</p>'
    '<script>window.top.pwned = "script"; alert("pwned")</script>'
    '<img src="https://t.example.com/p.gif" onerror="window.top.pwned = \'onerror\'" alt="">'
    '<p onclick="window.top.pwned = \'onclick\'">Thanks,<br>Sam</p>'
)
SORRY = "I'm sorry for the wait, and thank you for your patience."
SPANISH = "Hola Ana, te hemos devuelto 12,50 € a la tarjeta. El reembolso tarda entre tres y cinco días."
IN_ENGLISH = "Hi Ana, I'm sorry for the trouble. We have refunded 12,50 € to your card; it takes three to five days."
# Chromium says so when a test (not the page) reads into a sandboxed frame, or clicks a link there.
SANDBOX_NOTES = ("Blocked script execution in 'about:srcdoc'", "because the request was made in a sandboxed frame")


def draft_seen(body: dict) -> str:
    """The draft as the model is shown it (for HTML: its visible text, each link a token)."""
    for message in body["messages"]:
        if found := DRAFT_BLOCK.search(message["content"]):
            return found.group(2)
    raise AssertionError("no draft in the prompt")


def kind_model(body: dict) -> str:
    """A model that adds an apology and keeps the draft's lines and tokens."""
    return f"{SORRY}\n\n{draft_seen(body)}"


def page_errors(page) -> list[str]:
    """The page's console errors, without Chromium's notes about the sandbox itself."""
    return [error for error in page.errors if not any(note in error for note in SANDBOX_NOTES)]


def nothing_ran(page, dialogs: list) -> None:
    assert page.evaluate("window.pwned === undefined"), page.evaluate("String(window.pwned)")
    assert dialogs == []


def choose_html_and_rewrite(page, service: Service, draft: str = HTML_DRAFT) -> dict:
    """Chooses HTML, rewrites `draft` through the page; the request body sent."""
    from playwright.sync_api import expect

    page.goto(service.url)
    wait_for_templates(page)
    expect(page.get_by_role("radio", name="Text")).to_be_checked()  # the default
    page.get_by_role("radio", name="HTML").check()
    page.get_by_label("Your draft", exact=True).fill(draft)
    with page.expect_request(lambda r: r.url.endswith("/v1/rewrites")) as sent:
        page.get_by_role("button", name="Rewrite", exact=True).click()
    return sent.value.post_data_json


def test_an_html_draft_is_rendered_in_a_sandbox_shown_as_source_and_copied_as_html(page, service, upstream, tmp_path):
    from playwright.sync_api import expect

    upstream.respond = kind_model
    dialogs: list = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    elsewhere: list[str] = []
    page.on("request", lambda r: "example.com" in r.url and elsewhere.append(r.url))
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=service.url.rstrip("/"))

    sent = choose_html_and_rewrite(page, service)
    assert (sent["draft"], sent["format"]) == (HTML_DRAFT, "html")
    expect(page.locator("#verdict-summary")).to_have_text("Every fact of your draft is kept.")
    source = page.get_by_label("Your reply")
    rewrite = source.input_value()
    assert rewrite.startswith("<p>I") and f'<a href="{TRACK}">on the tracking page</a>' in rewrite
    assert "<script" not in rewrite and "onclick" not in rewrite  # the service sanitised it

    # The draft, rendered under its box, and the rewrite, rendered: in frames with a bare sandbox,
    # from markup cleaned of what runs or loads from elsewhere.
    for frame in (page.locator("#draft-frame"), page.locator("#reply-frame")):
        expect(frame).to_have_attribute("sandbox", "")
        expect(frame).to_have_attribute("srcdoc", re.compile(r"\S"))  # the draft's preview comes a moment after typing
        srcdoc = frame.get_attribute("srcdoc").lower()
        for bad in ("<script", "onerror", "onclick", "t.example.com", "alert("):
            assert bad not in srcdoc, bad
    assert page_errors(page) == []  # checked before the test reads into the frames itself
    nothing_ran(page, dialogs)
    assert elsewhere == []  # the tracking pixel was never fetched

    rendered_tab = page.get_by_role("tab", name="Rendered")
    source_tab = page.get_by_role("tab", name="Source")
    expect(rendered_tab).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tabpanel", name="Rendered")).to_be_visible()
    expect(source).to_be_hidden()
    reply_frame = page.frame_locator("#reply-frame")
    link = reply_frame.get_by_role("link", name="on the tracking page")
    expect(link).to_have_attribute("href", TRACK)
    expect(reply_frame.locator("b")).to_have_text("$42.00")
    expect(reply_frame.locator("body")).to_contain_text(SORRY)
    expect(page.locator("#reply-rendered-hint")).to_contain_text("An image is not shown here")
    expect(page.frame_locator("#draft-frame").get_by_role("link", name="on the tracking page")).to_be_visible()
    assert_screenshot_not_blank(page, tmp_path / "html-1280.png")
    if shots := os.environ.get("REWRITER_TEST_SCREENSHOTS"):  # a directory to keep one for a person to look at
        page.screenshot(path=str(Path(shots) / "page_html.png"), full_page=True)

    link.click()  # a link in the rendered reply goes nowhere: no navigation, no new window
    page.wait_for_timeout(200)
    assert page.url == service.url and len(page.context.pages) == 1
    nothing_ran(page, dialogs)

    # Source: a tab, by keyboard too; the box holds the HTML, which Copy copies.
    rendered_tab.focus()
    page.keyboard.press("ArrowRight")
    expect(source_tab).to_be_focused()
    expect(source_tab).to_have_attribute("aria-selected", "true")
    expect(source).to_be_visible()
    expect(source).to_have_value(rewrite)
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("status")).to_have_text("Copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == rewrite
    html = page.evaluate("(async () => { const [item] = await navigator.clipboard.read();"
                         " return await (await item.getType('text/html')).text(); })()")
    assert f'href="{TRACK}"' in html  # a rich text editor pastes the link

    # The diff is of the visible text: words, no markup.
    diff = page.locator("#diff")
    expect(diff.locator("ins").first).to_contain_text(SORRY)
    assert "<" not in diff.inner_text() and "on the tracking page" in diff.inner_text()
    expect(diff.locator("a, b, p, img, script")).to_have_count(0)

    meta = page.locator("#meta")
    expect(meta).to_contain_text(re.compile(r"Language\s*English"))
    expect(meta).to_contain_text(re.compile(r"Format\s*HTML"))

    # The format and the view are remembered in this browser.
    page.reload()
    wait_for_templates(page)
    expect(page.get_by_role("radio", name="HTML")).to_be_checked()
    assert page.evaluate("localStorage.getItem('reply-rewriter.html-view')") == "source"
    page.get_by_role("radio", name="Text").check()
    assert page.evaluate("localStorage.getItem('reply-rewriter.format')") is None
    nothing_ran(page, dialogs)
    assert page_errors(page) == []


def test_without_the_pages_csp_a_script_in_the_draft_or_the_answer_still_never_runs(browser, service, upstream):
    """The sandbox and the page's own cleaning, on their own: the browser ignores the page's
    Content-Security-Policy, and the service's answer is replaced by one it would never send."""

    page = new_page(browser, bypass_csp=True)
    try:
        html_without_csp(page, service)
    finally:
        page.context.close()


def html_without_csp(page, service: Service) -> None:
    from playwright.sync_api import expect

    dialogs: list = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    hostile = (
        '<p>Your order #4821 ships today. <a href="javascript:window.top.pwned = \'link\'">Click me</a></p>'
        '<script>window.top.pwned = "script"; alert("pwned")</script>'
        '<img src="x" onerror="window.top.pwned = \'onerror\'">'
        '<svg><script>window.top.pwned = "svg"</script></svg>'
        '<iframe srcdoc="<script>window.top.top.pwned = 1</script>"></iframe>'
        '<meta http-equiv="refresh" content="0; url=https://evil.example/">'
        '<form action="https://evil.example/"><button>Send</button></form>'
    )
    result = {
        "id": "rw_" + "0" * 32, "rewrite": hostile, "template": {"name": "empathetic", "version": 3},
        "model": "openai/gpt-4o-mini", "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        "cost_usd": None, "latency_ms": 5.0, "finish_reason": "stop", "attempts": 1, "fallback_from": None,
        "guard": {"status": "passed", "facts": [], "violations": [], "warnings": [], "rejected_rewrite": None},
        "diff": [{"op": "equal", "text": "Your order #4821 ships today. Click me"}], "format": "html", "language": "en",
    }
    page.route("**/v1/rewrites", lambda route: route.fulfill(status=200, json=result))
    page.goto(service.url)
    wait_for_templates(page)
    page.get_by_role("radio", name="HTML").check()
    page.get_by_label("Your draft", exact=True).fill(hostile)
    page.get_by_role("button", name="Rewrite", exact=True).click()
    expect(page.get_by_label("Your reply")).to_have_value(hostile)  # the source, as text
    for frame in ("#draft-frame", "#reply-frame"):
        expect(page.locator(frame)).to_have_attribute("srcdoc", re.compile("ships today"))
    page.wait_for_timeout(300)  # time enough for anything that would run
    nothing_ran(page, dialogs)
    assert page_errors(page) == [] and not [e for e in page.errors if "Blocked script" in e]
    for frame in ("#draft-frame", "#reply-frame"):
        inside = page.frame_locator(frame)
        expect(inside.locator("body")).to_contain_text("Your order #4821 ships today.")
        expect(inside.locator("body :is(script, svg, iframe, meta, form, button, [onerror], [href^=javascript])")).to_have_count(0)
        inside.get_by_text("Click me").click()  # its javascript: link was taken away
    page.wait_for_timeout(200)
    assert page.url == service.url and len(page.context.pages) == 1
    assert len(page.frames) == 3  # the page and its two frames: nothing framed inside them
    nothing_ran(page, dialogs)


def test_new_violations_and_the_language_are_said_in_words(page, service, upstream):
    from playwright.sync_api import expect

    # A Spanish draft rewritten in English: refused, said in words, and the language shown.
    upstream.text = IN_ENGLISH
    page.goto(service.url)
    wait_for_templates(page)
    page.get_by_label("Your draft", exact=True).fill(SPANISH)
    page.get_by_role("button", name="Rewrite", exact=True).click()
    summary = page.locator("#verdict-summary")
    expect(summary).to_have_text(
        "You get your draft unchanged, because the rewrite is in English; your draft is in Spanish."
    )
    expect(page.get_by_label("Your reply")).to_have_value(SPANISH)
    expect(page.locator("#meta")).to_contain_text(re.compile(r"Language\s*Spanish"))
    expect(page.get_by_role("tablist")).to_be_hidden()  # plain text: one box, no tabs

    # An HTML draft whose link the model dropped.
    upstream.respond = lambda body: re.sub(r"\{\{[A-Z]+\d+\}\}", "on our site", draft_seen(body))
    page.get_by_role("radio", name="HTML").check()
    page.get_by_label("Your draft", exact=True).fill(
        f'<p>Your order #4821 ships today. Track it <a href="{TRACK}">here</a>.</p>')
    page.get_by_role("button", name="Rewrite", exact=True).click()
    expect(summary).to_have_text(f"You get your draft unchanged, because the rewrite dropped the link to {TRACK}.")
    expect(page.frame_locator("#reply-frame").get_by_role("link", name="here")).to_have_attribute("href", TRACK)
    assert page_errors(page) == []


def test_a_markdown_draft_comes_back_as_markdown_source(page, service, upstream):
    from playwright.sync_api import expect

    upstream.respond = kind_model
    draft = f"Your order #4821 ships **today**. Track it [here]({TRACK}).\n\n- Open the app\n- Tap _Orders_"
    page.goto(service.url)
    wait_for_templates(page)
    page.get_by_role("radio", name="Markdown").check()
    page.get_by_label("Your draft", exact=True).fill(draft)
    expect(page.locator("#draft-preview")).to_be_hidden()  # only HTML is rendered
    with page.expect_request(lambda r: r.url.endswith("/v1/rewrites")) as sent:
        page.get_by_role("button", name="Rewrite", exact=True).click()
    assert sent.value.post_data_json["format"] == "markdown"
    reply = page.get_by_label("Your reply")
    expect(reply).to_have_value(f"{SORRY}\n\n{draft}")
    expect(reply).to_have_accessible_name(re.compile("Markdown"))
    expect(page.get_by_role("tablist")).to_be_hidden()
    expect(page.locator("#diff")).not_to_contain_text("**")
    expect(page.locator("#meta")).to_contain_text(re.compile(r"Format\s*Markdown"))
    assert page.errors == []
