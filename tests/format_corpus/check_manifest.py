#!/usr/bin/env python3
"""Validate tests/format_corpus/manifest.jsonl against the corpus files (stdlib only).

    python tests/format_corpus/check_manifest.py

Checks, for every manifest line: the file exists and every corpus file is listed once; the fields
are present and typed; `tail_from` (when not null) occurs exactly once in the file; `hrefs` is
exactly the list of link targets found before `tail_from`, in document order, as written; every
`unsafe` substring occurs in the file; the features that can be read off the file mechanically
(table, link, mailto, inline_image, fenced_code, ...) are listed exactly when the file has them;
`quoted_thread`/`signature` are listed exactly when there is a `tail_from`; `hostile` files name
their unsafe substrings. Every host named in a URL or an email address is fictional
(example.com/.org/.net or .test) and every `tel:` link is a 555 number. Then the corpus-wide
minimums (64 HTML and 32 Markdown bodies, 20 quoted threads, ...) are checked and the counts by
format, shape, language and feature are printed. Exit status 1 with the problems listed if
anything fails.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "manifest.jsonl"
FOLDERS = {"html": ("html", ".html"), "markdown": ("markdown", ".md")}
LANGUAGES = {"en", "es", "fr", "de", "pt"}
FIELDS = {"file", "format", "shape", "language", "features", "tail_from", "hrefs", "unsafe"}

# Features a reader must judge (the checker cannot): listed by hand in the manifest.
MANUAL_FEATURES = {
    "html": {"quoted_thread", "nested_quote", "signature", "broken_markup", "hostile",
             "unquoted_attributes"},
    "markdown": {"quoted_thread", "nested_quote", "signature", "hostile", "list", "nested_list",
                 "ordered_list", "task_list", "bold", "italic", "bold_italic", "strikethrough",
                 "setext_heading", "setext_trap", "escaped", "mention"},
}
# Features read off the file: the manifest must list each exactly when the file has it.
AUTO_FEATURES = {
    "html": {"link", "mailto", "tel", "utm", "table", "placeholder", "emoji", "full_document",
             "conditional_comment", "style_block", "inline_image", "tracking_pixel", "list",
             "bold", "italic", "br", "nbsp", "entities", "uppercase_tags", "heading", "code",
             "long", "short"},
    "markdown": {"link", "mailto", "tel", "utm", "table", "placeholder", "emoji", "fenced_code",
                 "tilde_fence", "indented_code", "inline_code", "reference_link", "autolink",
                 "image", "heading", "html_inline", "long", "short"},
}

# Corpus-wide minimums: (format, feature or None for "files") -> at least this many files.
MINIMUMS = {
    ("html", None): 64,
    ("markdown", None): 32,
    ("html", "quoted_thread"): 20,
    ("html", "signature"): 12,
    ("html", "table"): 10,
    ("html", "inline_image|tracking_pixel"): 10,
    ("html", "link"): 30,
    ("html", "broken_markup"): 8,
    ("html", "hostile"): 8,
    ("html", "long"): 2,
    ("html", "short"): 3,
    ("html", "no_tail"): 5,
    ("markdown", "fenced_code"): 3,
    ("markdown", "quoted_thread"): 3,
    ("markdown", "signature"): 3,
}
ENGLISH_SHARE = (0.65, 0.85)  # "about 3/4 English"

FICTIONAL_HOST = re.compile(r"(?:^|\.)(?:example\.(?:com|org|net)|[a-z0-9-]+\.test)$", re.I)
# XML namespace names in Word/Outlook markup: identifiers, not links anyone visits.
NAMESPACE_URIS = {"http://schemas.microsoft.com/office/2004/12/omml", "http://www.w3.org/TR/REC-html40"}

# ---------------------------------------------------------------------------------------------
# HTML


def _blank(match: re.Match) -> str:
    """The match replaced by spaces (newlines kept), so offsets stay where they were."""
    return re.sub(r"[^\n]", " ", match.group(0))


def html_masked(text: str) -> str:
    """Comments and the contents of <script>/<style> blanked out: no links or tags are read there."""
    text = re.sub(r"<!--.*?-->", _blank, text, flags=re.S)
    return re.sub(r"(?<=>)[^<]*(?=</(?:script|style)\s*>)", _blank, text, flags=re.I | re.S)


HREF = re.compile(r"""<a\b[^>]*?\shref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.I | re.S)
IMG = re.compile(r"<img\b[^>]*>", re.I | re.S)


def html_hrefs(head: str) -> list[str]:
    return [next(g for g in m.groups() if g is not None) for m in HREF.finditer(html_masked(head))]


def _attr(tag: str, name: str) -> str | None:
    m = re.search(r"""\s%s\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""" % name, tag, re.I)
    return next(g for g in m.groups() if g is not None) if m else None


def html_visible_text(html: str) -> str:
    text = re.sub(r"<!--.*?-->", " ", html, flags=re.S)
    text = re.sub(r"<(script|style|head)\b.*?</\1\s*>", " ", text, flags=re.I | re.S)
    text = re.sub(r"<[^>]*>", " ", text)
    return re.sub(r"\s+", " ", text.replace("&nbsp;", " ")).strip()


def html_features(text: str, head: str, hrefs: list[str]) -> set[str]:
    masked = html_masked(text)
    found = set()
    pixels = images = 0
    for tag in IMG.findall(masked):
        if _attr(tag, "width") in {"0", "1"} or _attr(tag, "height") in {"0", "1"}:
            pixels += 1
        else:
            images += 1
    checks = {
        "table": re.search(r"<table\b", masked, re.I),
        "full_document": re.search(r"<html\b", masked, re.I),
        "conditional_comment": "<!--[if" in text,
        "style_block": re.search(r"<style\b", text, re.I),
        "inline_image": images,
        "tracking_pixel": pixels,
        "list": re.search(r"<li\b", masked, re.I),
        "bold": re.search(r"<(?:b|strong)\b|font-weight:\s*bold", masked, re.I),
        "italic": re.search(r"<(?:i|em)\b", masked, re.I),
        "br": re.search(r"<br\b", masked, re.I),
        "nbsp": "&nbsp;" in text,
        "entities": re.search(r"&(?:#\d+|#x[0-9a-f]+|(?!nbsp;|amp;|lt;|gt;|quot;)[a-z]+\d*);", text, re.I),
        "uppercase_tags": re.search(r"</?[A-Z][A-Z0-9]*[\s>/]", masked),
        "heading": re.search(r"<h[1-6]\b", masked, re.I),
        "code": re.search(r"<(?:code|pre|tt|kbd)\b", masked, re.I),
        "long": len(head) >= 2000 and len(html_visible_text(head)) >= 1000,
        "short": len(html_visible_text(head)) <= 160,
    }
    found |= {name for name, hit in checks.items() if hit}
    return found | common_features(text, hrefs)


# ---------------------------------------------------------------------------------------------
# Markdown

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
LIST_ITEM = re.compile(r"^\s*(?:[*+-]|\d+[.)])\s")
ESCAPE = re.compile(r"\\[!-/:-@\[-`{-~]")
CODE_SPAN = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)")
LINK_OPEN = re.compile(r"(!?)\[((?:\\.|[^\[\]\\]|\[[^\]]*\])*)\]\(")
AUTOLINK = re.compile(
    r"<([A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*"
    r"|[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*)>")
REF_DEF = re.compile(r"^ {0,3}\[([^\]]+)\]:[ \t]*<?([^\s>]+)>?", re.M)
HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")


def md_code(text: str) -> tuple[str, dict[str, bool]]:
    """The text with fenced code, indented code and code spans blanked, and which of them it had."""
    lines = text.split("\n")
    out, kinds = [], {"fenced_code": False, "tilde_fence": False, "indented_code": False,
                      "inline_code": False}
    fence = None
    previous = ""          # the previous line as written
    context_is_list = False  # the last non-blank block was a list item (4-space lines continue it)
    for line in lines:
        m = FENCE.match(line)
        if fence is None and m:
            fence = m.group(1)
            kinds["fenced_code" if fence[0] == "`" else "tilde_fence"] = True
            out.append(" " * len(line))
        elif fence is not None:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) \
                    and not line.strip()[len(m.group(1)):].strip():
                fence = None
            out.append(" " * len(line))
        elif re.match(r"^(?: {4}|\t)", line) and (not previous.strip() or
                                                  re.match(r"^(?: {4}|\t)", previous)) \
                and not context_is_list and line.strip():
            kinds["indented_code"] = True
            out.append(" " * len(line))
        else:
            if line.strip():
                if LIST_ITEM.match(line):
                    context_is_list = True
                elif not line.startswith((" ", "\t")):
                    context_is_list = False
            masked = ESCAPE.sub(lambda e: "  ", line)
            spans = list(CODE_SPAN.finditer(masked))
            if spans:
                kinds["inline_code"] = True
                for s in reversed(spans):
                    masked = masked[:s.start()] + " " * (s.end() - s.start()) + masked[s.end():]
            out.append(masked)
        previous = line if fence is None else ""
    return "\n".join(out), kinds


def _destination(text: str, i: int) -> tuple[int, int] | None:
    """Span of the link destination starting at text[i] (just after '('), CommonMark-style."""
    while i < len(text) and text[i] in " \t":
        i += 1
    if i < len(text) and text[i] == "<":
        j = text.find(">", i)
        return (i + 1, j) if j > 0 else None
    start, depth = i, 0
    while i < len(text) and not text[i].isspace():
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            if depth == 0:
                break
            depth -= 1
        i += 1
    return (start, i) if i > start else None


def md_links(head: str) -> tuple[list[str], dict[str, bool]]:
    """Link targets in document order (inline links, autolinks, reference definitions), images left out."""
    masked, kinds = md_code(head)
    found: list[tuple[int, str]] = []
    kinds.update({"image": False, "autolink": False, "reference_link": False})
    for m in LINK_OPEN.finditer(masked):
        span = _destination(masked, m.end())
        if m.group(1):
            kinds["image"] = True
        elif span:
            found.append((span[0], head[span[0]:span[1]]))
    for m in AUTOLINK.finditer(masked):
        kinds["autolink"] = True
        found.append((m.start(1), head[m.start(1):m.end(1)]))
    for m in REF_DEF.finditer(masked):
        kinds["reference_link"] = True
        found.append((m.start(2), head[m.start(2):m.end(2)]))
    return [url for _, url in sorted(found)], kinds


def md_features(text: str, head: str, hrefs: list[str]) -> set[str]:
    _, kinds = md_links(text)
    masked, _ = md_code(text)
    lines = masked.split("\n")
    table = any(l.lstrip().startswith("|") and i + 1 < len(lines)
                and re.match(r"^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)+\|?\s*$", lines[i + 1])
                for i, l in enumerate(lines))
    no_autolinks = AUTOLINK.sub(" ", masked)
    found = {k for k, v in kinds.items() if v}
    if table:
        found.add("table")
    if re.search(r"^ {0,3}#{1,6}\s", masked, re.M):
        found.add("heading")
    if HTML_TAG.search(no_autolinks):
        found.add("html_inline")
    if len(head) >= 2000:
        found.add("long")
    if len(head.strip()) <= 160 and "\n\n" not in head.strip():
        found.add("short")
    return found | common_features(text, hrefs)


# ---------------------------------------------------------------------------------------------
# Both


def common_features(text: str, hrefs: list[str]) -> set[str]:
    found = set()
    if hrefs:
        found.add("link")
    if any(h.lower().startswith("mailto:") for h in hrefs):
        found.add("mailto")
    if any(h.lower().startswith("tel:") for h in hrefs):
        found.add("tel")
    if any("utm_" in h for h in hrefs):
        found.add("utm")
    if "{{" in text or "{%" in text:
        found.add("placeholder")
    if any(ord(c) >= 0x1F300 or 0x2600 <= ord(c) <= 0x27BF for c in text):
        found.add("emoji")
    return found


def head_of(text: str, tail_from: str | None) -> str:
    return text if tail_from is None else text[:text.find(tail_from)]


def hrefs_of(fmt: str, head: str) -> list[str]:
    return html_hrefs(head) if fmt == "html" else md_links(head)[0]


def features_of(fmt: str, text: str, head: str) -> set[str]:
    hrefs = hrefs_of(fmt, head)
    return html_features(text, head, hrefs) if fmt == "html" else md_features(text, head, hrefs)


def foreign_hosts(text: str) -> list[str]:
    bad = []
    for m in re.finditer(r"\b[a-z][a-z0-9+.-]*://[^\s\"'<>)]+", text, re.I):
        url = m.group(0)
        if any(url.startswith(ns) for ns in NAMESPACE_URIS):
            continue
        host = re.split(r"[/?#:]", url.split("://", 1)[1], maxsplit=1)[0].split("@")[-1]
        if not FICTIONAL_HOST.search(host):
            bad.append(url)
    for m in re.finditer(r"(?<![\w.+-])[\w.+-]+@([a-z0-9-]+(?:\.[a-z0-9-]+)+)", text, re.I):
        if text[:m.start()].lower().endswith("cid:"):
            continue  # a Content-ID (cid:image001.png@01DCAB12.5F3E9A20), not an address
        if not FICTIONAL_HOST.search(m.group(1)):
            bad.append(m.group(0))
    return bad


# ---------------------------------------------------------------------------------------------


def check() -> tuple[list[str], list[dict]]:
    problems: list[str] = []
    entries: list[dict] = []
    seen: set[str] = set()
    for number, line in enumerate(MANIFEST.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as error:
            problems.append(f"manifest line {number}: not JSON ({error})")
            continue
        name = entry.get("file", f"line {number}")
        where = f"{name}:"
        if set(entry) != FIELDS:
            problems.append(f"{where} fields {sorted(entry)} are not {sorted(FIELDS)}")
            continue
        fmt = entry["format"]
        if fmt not in FOLDERS:
            problems.append(f"{where} format {fmt!r} is not html or markdown")
            continue
        folder, suffix = FOLDERS[fmt]
        if not re.fullmatch(rf"{folder}/\d{{3}}-[a-z0-9-]+{re.escape(suffix)}", name):
            problems.append(f"{where} not named {folder}/NNN-short-name{suffix}")
        if name in seen:
            problems.append(f"{where} listed twice")
        seen.add(name)
        path = HERE / name
        if not path.is_file():
            problems.append(f"{where} no such file")
            continue
        text = path.read_text(encoding="utf-8")
        entries.append(entry)

        if entry["language"] not in LANGUAGES:
            problems.append(f"{where} language {entry['language']!r} not one of {sorted(LANGUAGES)}")
        if not isinstance(entry["shape"], str) or not re.fullmatch(r"[a-z0-9_]+", entry["shape"]):
            problems.append(f"{where} shape {entry['shape']!r} is not a lower_snake name")
        for field in ("features", "hrefs", "unsafe"):
            if not isinstance(entry[field], list) or not all(isinstance(x, str) for x in entry[field]):
                problems.append(f"{where} {field} is not a list of strings")
                break
        else:
            tail_from = entry["tail_from"]
            if tail_from is not None:
                count = text.count(tail_from) if isinstance(tail_from, str) and tail_from else 0
                if count != 1:
                    problems.append(f"{where} tail_from {tail_from!r} occurs {count} times, not once")
                    continue
            head = head_of(text, tail_from)

            # hrefs: each one before tail_from, in order, and all of them
            position = 0
            for href in entry["hrefs"]:
                found = head.find(href, position)
                if found < 0:
                    problems.append(f"{where} href {href!r} is not in the part before tail_from "
                                    "(after the previous href)")
                    break
                position = found + len(href)
            actual = hrefs_of(fmt, head)
            if actual != entry["hrefs"]:
                problems.append(f"{where} hrefs {entry['hrefs']} are not the links before "
                                f"tail_from {actual}")

            # features
            features = set(entry["features"])
            if len(features) != len(entry["features"]):
                problems.append(f"{where} a feature is listed twice")
            unknown = features - MANUAL_FEATURES[fmt] - AUTO_FEATURES[fmt]
            if unknown:
                problems.append(f"{where} unknown features {sorted(unknown)}")
            derived = features_of(fmt, text, head)
            for feature in sorted(AUTO_FEATURES[fmt]):
                if (feature in features) != (feature in derived):
                    state = ("listed but not in the file" if feature in features
                             else "in the file but not listed")
                    problems.append(f"{where} feature {feature!r} {state}")
            has_tail_feature = bool(features & {"quoted_thread", "signature"})
            if has_tail_feature != (tail_from is not None):
                problems.append(f"{where} quoted_thread/signature must be listed exactly when "
                                "tail_from is set")
            if "nested_quote" in features and "quoted_thread" not in features:
                problems.append(f"{where} nested_quote without quoted_thread")

            # unsafe
            for piece in entry["unsafe"]:
                if not piece or piece not in text:
                    problems.append(f"{where} unsafe {piece!r} does not occur in the file")
            if "hostile" in features and not entry["unsafe"]:
                problems.append(f"{where} hostile but no unsafe substrings listed")
            if "style_block" in features and not any(u.lower() == "<style" for u in entry["unsafe"]):
                problems.append(f"{where} has a <style> block but '<style' is not in unsafe")

        # fictional names only
        for url in foreign_hosts(text):
            problems.append(f"{where} {url!r} is not an example.com/.org/.net or .test host")
        for tel in re.findall(r"tel:[^\"'\s>)]+", text, re.I):
            if "555" not in tel:
                problems.append(f"{where} {tel!r} is not a 555 number")

    for fmt, (folder, suffix) in FOLDERS.items():
        for path in sorted((HERE / folder).glob(f"*{suffix}")):
            if f"{folder}/{path.name}" not in seen:
                problems.append(f"{folder}/{path.name}: not in the manifest")
        for path in sorted((HERE / folder).iterdir()):
            if path.suffix != suffix:
                problems.append(f"{folder}/{path.name}: unexpected file")
    return problems, entries


def counts(entries: list[dict]) -> tuple[list[str], list[str]]:
    lines, problems = [], []
    for fmt in FOLDERS:
        rows = [e for e in entries if e["format"] == fmt]
        lines.append(f"{fmt}: {len(rows)} files")
        for title, counter in (
            ("shape", Counter(e["shape"] for e in rows)),
            ("language", Counter(e["language"] for e in rows)),
            ("feature", Counter(f for e in rows for f in e["features"])),
        ):
            ordered = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
            lines.append(f"  by {title}: " + ", ".join(f"{k} {v}" for k, v in ordered))
        no_tail = sum(1 for e in rows if e["tail_from"] is None)
        lines.append(f"  tail: {len(rows) - no_tail} with tail_from, {no_tail} without; "
                     f"unsafe listed in {sum(1 for e in rows if e['unsafe'])}")
        for (minimum_fmt, feature), minimum in MINIMUMS.items():
            if minimum_fmt != fmt:
                continue
            if feature is None:
                have = len(rows)
            elif feature == "no_tail":
                have = no_tail
            else:
                have = sum(1 for e in rows if set(feature.split("|")) & set(e["features"]))
            if have < minimum:
                what = f"files with {feature}" if feature else "files"
                problems.append(f"{fmt}: {have} {what}, need at least {minimum}")
        english = sum(1 for e in rows if e["language"] == "en") / max(len(rows), 1)
        if not ENGLISH_SHARE[0] <= english <= ENGLISH_SHARE[1]:
            problems.append(f"{fmt}: English share {english:.0%} outside {ENGLISH_SHARE}")
        missing = LANGUAGES - {e["language"] for e in rows}
        if missing:
            problems.append(f"{fmt}: no file in {sorted(missing)}")
    return lines, problems


def main() -> int:
    problems, entries = check()
    lines, minimum_problems = counts(entries)
    print("\n".join(lines))
    problems += minimum_problems
    if problems:
        print(f"\n{len(problems)} problem(s):", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    print("\nmanifest OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
