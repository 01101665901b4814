"""Live template experiments (REWRITER_TEMPLATE_SPLIT): a request that names a template, or
defaults to it, but no version gets a version by weight. With a `conversation_id` the choice is
a hash of it, so every request of a conversation gets the same version with no state kept; without
one, it is random. The result names the version used, and the feedback summary compares the
versions (api/feedback/summary.py)."""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass

_ENTRY = re.compile(r"(?P<name>[A-Za-z0-9_.-]+)@v?(?P<version>\d+):(?P<weight>\d+(?:\.\d+)?)")


@dataclass(frozen=True)
class Arm:
    version: int
    weight: float


@dataclass(frozen=True)
class Split:
    arms: dict[str, tuple[Arm, ...]]  # template name -> its versions and weights, as configured

    def choose(self, name: str, conversation_id: str | None) -> int | None:
        """The version for a request of template `name` that pins none; None: no split for it."""
        arms = self.arms.get(name)
        if not arms:
            return None
        total = sum(arm.weight for arm in arms)
        if conversation_id is not None:
            digest = hashlib.sha256(f"{name}\0{conversation_id}".encode()).digest()
            point = int.from_bytes(digest[:8], "big") / 2**64 * total
        else:
            point = random.random() * total
        for arm in arms:
            if point < arm.weight:
                return arm.version
            point -= arm.weight
        return arms[-1].version

    def covers(self, name: str) -> bool:
        return name in self.arms


NO_SPLIT = Split({})


def parse(text: str | None) -> Split:
    """`empathetic@2:90,empathetic@3:10` -> a Split; ValueError naming the bad entry."""
    if not text or not text.strip():
        return NO_SPLIT
    arms: dict[str, list[Arm]] = {}
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        match = _ENTRY.fullmatch(entry)
        if match is None:
            raise ValueError(f"{entry!r} is not NAME@VERSION:WEIGHT (e.g. empathetic@2:90)")
        name, version, weight = match["name"], int(match["version"]), float(match["weight"])
        if weight <= 0:
            raise ValueError(f"{entry!r}: the weight must be more than 0")
        if any(arm.version == version for arm in arms.get(name, [])):
            raise ValueError(f"{entry!r}: {name}@{version} is listed twice")
        arms.setdefault(name, []).append(Arm(version, weight))
    return Split({name: tuple(found) for name, found in arms.items()})
