"""Eval cases from the agents' feedback (`python -m evals dataset from-feedback`): each rewrite an
agent sent, as is or edited, becomes a case whose reference is what was sent. The texts are read
from the service's feedback store (api/feedback) and written redacted, whatever the store kept."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .dataset import Case

OUTCOMES = ("sent", "edited")  # the ones with a reference: discarded rewrites were never sent
_URLS = "use sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER@HOST/DB"
_TEMPLATE = re.compile(r"[A-Za-z0-9_.-]+(@v?\d+)?")
# "Hi Ana Lopez," "Dear Mr Smith": a name the draft or the reply opens with (one to three
# capitalised words). The store knew the customer_name variable only when it redacted itself.
_GREETING = re.compile(
    r"^\s*(?i:hi|hello|hey|dear|good morning|good afternoon|good evening)[ \t]+"
    r"(?:(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?[ \t]+)?"
    r"(?P<name>[A-Z][\w'’-]*(?: [A-Z][\w'’-]*){0,2})\s*[,!.\n]"
)
_NOT_NAMES = frozenset(
    "there all everyone team customer customers friend friends folks again sir madam support "
    "will may bill mark grace hope joy june april august faith rose summer sunny".split()
)


class FeedbackExportError(ValueError):
    """The store cannot be read (bad URL, missing file, down, not a feedback store); in words."""


@dataclass
class Export:
    cases: list[Case] = field(default_factory=list)
    rewrites: int = 0  # the rows read
    duplicates: int = 0  # same draft and reference as a newer one
    without_text: int = 0  # edited without the text sent (or a text that is blank)


def check_template(text: str) -> str:
    if not _TEMPLATE.fullmatch(text):
        raise ValueError(f"--template {text!r}: use NAME or NAME@VERSION (like empathetic@v3)")
    return text


def display_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def check_url(url: str) -> None:
    """Refuse a URL the store cannot use, and a SQLite file that is not there: opening one would
    create an empty database (and its directories) where the service has none."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from api.feedback.store import DRIVERS

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise FeedbackExportError(f"--db {url!r} is not a database URL: {_URLS}") from None
    backend = parsed.get_backend_name()
    if DRIVERS.get(backend) != parsed.drivername:
        raise FeedbackExportError(f"--db {display_url(url)}: {_URLS}, not {parsed.drivername}://")
    if backend == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise FeedbackExportError(f"--db {url}: an in-memory database holds no feedback; "
                                      "give the store's file")
        path = Path(parsed.database).expanduser()
        if not path.is_file():
            raise FeedbackExportError(f"--db {url}: no feedback store at {path} "
                                      "(the service writes one when REWRITER_FEEDBACK=true)")


async def read_rows(url: str, since: datetime, outcomes: list[str],
                    templates: list[str]) -> list[dict[str, Any]]:
    """The rows with those outcomes since `since`, oldest first, each once."""
    from sqlalchemy.exc import SQLAlchemyError

    from api.feedback.errors import StoreUnavailable
    from api.feedback.store import FeedbackStore, StoreConfigError

    check_url(url)
    try:
        store = FeedbackStore(url)
    except StoreConfigError as exc:
        raise FeedbackExportError(f"--db {display_url(url)}: {exc}") from None
    try:
        found: dict[str, dict[str, Any]] = {}
        for template in templates or [None]:
            for outcome in outcomes:
                for row in await store.rows(since, template=template, outcome=outcome):
                    found[row["id"]] = row
    except StoreUnavailable as exc:  # the store's own translation of its driver's error
        raise FeedbackExportError(
            f"--db {display_url(url)}: cannot read the feedback store: {_reason(exc.__cause__ or exc)}") from None
    except (SQLAlchemyError, OSError, TimeoutError) as exc:
        raise FeedbackExportError(
            f"--db {display_url(url)}: cannot read the feedback store: {_reason(exc)}") from None
    except ValueError as exc:  # a --template version no template can have
        raise FeedbackExportError(f"--{exc}") from None
    finally:
        await store.close()
    return sorted(found.values(), key=lambda row: (_naive(row["created_at"]), row["id"]))


def _reason(exc: BaseException) -> str:
    original = getattr(exc, "orig", None) or exc
    text = (str(original).strip().splitlines() or [type(original).__name__])[0]
    if "no such table" in text or ("rewrites" in text and "does not exist" in text):
        text += (" (not a feedback store, or one the service has not migrated yet: "
                 "start it once with REWRITER_FEEDBACK=true)")
    return text


def _naive(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes, PostgreSQL aware ones; all are UTC."""
    return moment.replace(tzinfo=None) if moment.tzinfo is not None else moment


def build_cases(rows: list[dict[str, Any]]) -> Export:
    """Cases from rows read oldest first: redacted, the newest of each (draft, reference) kept."""
    from api.feedback.privacy import redact, redact_like

    export = Export(rewrites=len(rows))
    kept: dict[tuple[str, str], Case] = {}
    for row in rows:
        names = _names(row)
        draft = redact(row["draft"], names) or ""
        rewrite = redact(row["rewrite"], names) or ""
        message = redact(row["customer_message"], names) or None
        if row["outcome"] == "edited":
            sent = row["sent_text"] or ""
            reference = redact_like(redact(sent, names) or "", rewrite) if sent.strip() else ""
        else:  # sent as is: the rewrite was the reply
            reference = rewrite
        if not draft.strip() or not reference.strip():
            export.without_text += 1
            continue
        template = f"{row['template']}@v{row['template_version']}"
        fmt = row.get("format") or "text"
        try:
            case = Case(id=row["id"], draft=draft, reference=reference, customer_message=message, format=fmt,
                        tags=("source:feedback", f"outcome:{row['outcome']}", f"template:{template}",
                              f"model:{row['model']}", f"guard:{row['guard_status']}",
                              *((f"format:{fmt}",) if fmt != "text" else ())))
        except ValidationError:  # an HTML or Markdown text with nothing visible in it
            export.without_text += 1
            continue
        key = (draft, reference)
        if key in kept:
            export.duplicates += 1
            del kept[key]  # the newer one takes its place, at the end
        kept[key] = case
    export.cases = list(kept.values())
    return export


def _names(row: dict[str, Any]) -> tuple[str, ...]:
    """The customer's names to look for in every text of a row: the customer message's signature
    and the name a text opens with, each also word by word ("Ana Lopez", "Ana", "Lopez")."""
    from api.feedback.privacy import names_of

    found = list(names_of(None, row["customer_message"]))
    for text in (row["draft"], row["rewrite"], row["sent_text"]):
        match = _GREETING.match(text or "")
        if match and not any(word.lower() in _NOT_NAMES for word in match.group("name").split()):
            found.append(match.group("name"))
    names = []
    for name in found:
        names += [name, *(word for word in name.split() if len(word) > 1 and word.lower() not in _NOT_NAMES)]
    return tuple(dict.fromkeys(names))


def write_cases(cases: list[Case], out: Path) -> None:
    """The cases as a JSONL dataset, written whole or not at all."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    try:
        partial.write_text("".join(case.model_dump_json() + "\n" for case in cases), encoding="utf-8")
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
