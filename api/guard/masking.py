"""Masking: helpdesk placeholders (and, with `pii=True`, personal data) become opaque tokens the
model copies verbatim, and come back afterwards.

- `mask(text)` swaps each placeholder for a `{{PHn}}` token; with `pii=True` emails, phone numbers,
  card numbers and IBANs (`api.guard.pii`) get tokens of the same shape, so the guard treats them
  exactly like placeholders.
- `Masked.unmask(output)` puts them back and reports tokens the model invented; `StreamUnmasker`
  does the same for a stream of pieces; `Masked.hide(text)` masks a text for the repair prompt.
- `atoms`: spans of a formatted draft's visible text (a link, bold text, a table:
  `api.formats`) that get a token each, unmasked to their visible text for the guard;
  `Masked.pieces(output)` splits the model's text into text and atoms for rendering.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import facts as factlib
from . import pii as piilib
from .fact_patterns import PLACEHOLDER_RE
from .verdict import Verdict, Violation

if TYPE_CHECKING:
    from api.formats.document import Atom

_PLACEHOLDER = PLACEHOLDER_RE


@dataclass(frozen=True)
class Masked:
    text: str
    originals: dict[str, str]  # token -> placeholder (or personal data) as written
    prefix: str
    customer_message: str | None = None  # masked with the same tokens when PII is masked
    pii_tokens: dict[str, str] | None = None  # token -> kind of personal data; None: PII not masked
    # Facts the guard may name that hold part of a masked value ("23 45 67 89" of a phone
    # number) -> its token, so `hide` leaves nothing of it in a repair prompt.
    parts: dict[str, str] = field(default_factory=dict)
    atoms: dict[str, "Atom"] = field(default_factory=dict)  # token -> the formatted draft's atom

    def hide(self, text: str) -> str:
        """`text` (a rejected rewrite, the guard's description of it) with every masked value, or
        a quoted fact that is part of one, replaced by its token: what the model may see."""
        for part, token in self.parts.items():
            text = text.replace(repr(part), repr(token))
        for token, original in sorted(self.originals.items(), key=lambda item: -len(item[1])):
            if token not in self.atoms:  # an atom's text ("here") is no secret, and common
                text = text.replace(original, token)
        return text

    @property
    def pii(self) -> dict[str, int] | None:
        """Distinct values masked, by kind (email, phone, card, iban, national_id, name); None when PII was not masked
        or none was found."""
        if not self.pii_tokens:
            return None
        counts: dict[str, int] = {}
        for kind in self.pii_tokens.values():
            counts[kind] = counts.get(kind, 0) + 1
        return counts

    def _holds(self, fact_text: str, token: str) -> bool:
        """Whether a fact of the draft is, holds or is part of the value masked as `token`."""
        return self.originals[token] in fact_text or self.parts.get(fact_text) == token

    def account(self, output: str, verdict: Verdict) -> list[Violation]:
        """`verdict`'s violations, seen through the masking of personal data: a lost or altered
        masked value is named by its kind (the fact extractor reads a card number as a phone, an
        IBAN as an id...), and a value whose token the model's `output` (still masked) dropped is
        lost, unless `verdict` already names it: to the fact comparison the same phone number
        written in two formats is one fact, here it is two tokens."""
        violations, missing = list(verdict.violations), []
        for token, kind in (self.pii_tokens or {}).items():
            if kind == "name":
                continue  # a rewrite may address the customer differently; a name is no fact to keep
            value = self.originals[token]
            violations = [
                Violation(v.kind, kind, v.value, kind + v.detail[len(v.fact):])
                if v.kind in ("lost", "altered") and v.fact != kind and self._holds(v.value, token) else v
                for v in violations
            ]
            if token in self.text and token not in output and not any(
                self._holds(fact.text, token) for fact in verdict.lost
            ):
                missing.append(Violation("lost", kind, value, f"{kind} {value!r} is missing"))
        for token, atom in self.atoms.items():
            if token in self.text and token not in output and atom.visible.strip():
                what = "link" if atom.href else atom.kind.replace("_", " ")
                missing.append(Violation("lost", what, atom.name, f"{what} {_short(atom.name)!r} is missing"))
        return violations + missing

    def token_of(self, value: str) -> str | None:
        """The token `value` was masked as, or None."""
        return next((token for token, original in self.originals.items() if original == value), None)

    def pieces(self, output: str) -> list["str | Atom"]:
        """`output` (still masked) as text and atoms: placeholders and personal data restored,
        each atom's token replaced by the atom."""
        out: list[str | Atom] = []
        last = 0
        for match in self._token_re.finditer(output):
            token = match.group(0)
            if token in self.atoms:
                out += [self.unmask(output[last:match.start()])[0], self.atoms[token]]
                last = match.end()
        out.append(self.unmask(output[last:])[0])
        return [piece for piece in out if piece != ""]

    @property
    def _token_re(self) -> re.Pattern[str]:
        return re.compile(rf"\{{\{{{re.escape(self.prefix)}\d+\}}\}}")

    def unmask(self, output: str) -> tuple[str, list[str]]:
        """Restore placeholders; return the text and any tokens the model made up."""
        if not self.originals:
            return output, []
        invented: list[str] = []

        def restore(match: re.Match[str]) -> str:
            token = match.group(0)
            if token in self.originals:
                return self.originals[token]
            invented.append(token)
            return token

        return self._token_re.sub(restore, output), invented


def mask(text: str, *, pii: bool = False, customer_message: str | None = None, names: tuple[str, ...] = (),
         atoms: Sequence[tuple[int, int, "Atom"]] = ()) -> Masked:
    """Replace each placeholder with `{{PHn}}` (the prefix grows until the text cannot contain it,
    so unmasking is exact for any input). With `pii`, personal data (`api.guard.pii.find`) in `text`
    and in `customer_message` becomes `{{PHn}}` tokens too, one token per value across both, and
    `Masked.pii` counts them by kind; without, `customer_message` is kept as given. With `pii`,
    `names` (the customer's, as the caller gives it) and the name the customer message is signed
    with get a token each, even a name neither text holds (a template shows it to the model:
    `Masked.token_of`). `atoms`: spans of `text` (offsets into it) that get a token each; a
    placeholder or personal data inside one stays in it."""
    texts = (text, customer_message or "") if pii else (text,)
    prefix = "PH"
    while any(prefix in t for t in texts):
        prefix += "X"
    originals: dict[str, str] = {}
    by_value: dict[str, str] = {}
    kinds: dict[str, str] = {}

    def token(value: str, kind: str | None) -> str:
        if value not in by_value:
            by_value[value] = f"{{{{{prefix}{len(originals) + 1}}}}}"
            originals[by_value[value]] = value
            if kind is not None:
                kinds[by_value[value]] = kind
        return by_value[value]

    names = tuple(dict.fromkeys(
        name.strip() for name in (*names, *piilib.signature_names(customer_message or "")) if name.strip()
    )) if pii else ()
    for name in names:
        token(name, "name")
    by_atom: dict[str, Atom] = {}

    def atom_token(start: int, end: int, atom: "Atom") -> str:
        new = f"{{{{{prefix}{len(originals) + 1}}}}}"
        by_atom[new] = atom
        originals[new] = text[start:end]
        return new

    def swap(source: str, placeholders: bool) -> tuple[str, list[piilib.Found]]:
        held = [(a, b) for a, b, _ in atoms] if placeholders else []
        spans = [
            (m.start(), m.end(), None) for m in _PLACEHOLDER.finditer(source)
            if not any(a <= m.start() < b or a < m.end() <= b for a, b in held)
        ] if placeholders else []
        found = piilib.find(source, skip=[*((a, b) for a, b, _ in spans), *held], names=names) if pii else []
        found = [f for f in found if not any(a < f.end and f.start < b for a, b in held)]
        out, last = [], 0
        cuts = [*((a, b, kind, None) for a, b, kind in spans), *((f.start, f.end, f.kind, None) for f in found),
                *((a, b, None, atom) for a, b, atom in atoms)] if placeholders else \
            [(f.start, f.end, f.kind, None) for f in found]
        for start, end, kind, atom in sorted(cuts, key=lambda cut: (cut[0], cut[1])):
            out += [source[last:start], atom_token(start, end, atom) if atom is not None
                    else token(source[start:end], kind)]
            last = end
        return "".join(out) + source[last:], found

    masked_text, found = swap(text, placeholders=True)
    if not pii:
        return Masked(masked_text, originals, prefix, customer_message, atoms=by_atom)
    masked_customer = swap(customer_message, placeholders=False)[0] if customer_message else customer_message
    return Masked(masked_text, originals, prefix, masked_customer, kinds, _parts(text, found, by_value), by_atom)


def _parts(text: str, found: list[piilib.Found], tokens: dict[str, str]) -> dict[str, str]:
    """The draft's facts that overlap masked personal data without being all of it (the guard
    may name them in a repair prompt) -> the token; facts also found elsewhere are left alone."""
    inside: dict[str, str] = {}
    outside: set[str] = set()
    for fact in factlib.extract(text) if found else []:
        hit = next((f for f in found if fact.start < f.end and f.start < fact.end), None)
        if hit is None:
            outside.add(fact.text)
        elif fact.text != hit.value:
            inside[fact.text] = tokens[hit.value]
    return {part: token for part, token in inside.items() if part not in outside}


def _short(value: str, limit: int = 60) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


class StreamUnmasker:
    """Unmask a stream of text pieces, holding back a token that is split across pieces."""

    def __init__(self, masked: Masked) -> None:
        self.masked = masked
        self._pending = ""
        self._longest = len(masked.prefix) + 10  # "{{" + prefix + up to 6 digits + "}}"

    def feed(self, piece: str) -> str:
        if not self.masked.originals:
            return piece
        self._pending += piece
        start = self._pending.rfind("{")
        if start != -1 and "}}" not in self._pending[start:] and len(self._pending) - start <= self._longest:
            if start > 0 and self._pending[start - 1] == "{":
                start -= 1
            ready, self._pending = self._pending[:start], self._pending[start:]
        else:
            ready, self._pending = self._pending, ""
        return self.masked.unmask(ready)[0]

    def flush(self) -> str:
        ready, self._pending = self._pending, ""
        return self.masked.unmask(ready)[0]
