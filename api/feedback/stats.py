"""The intervals the feedback summary reports: Wilson's score interval for a share, and
Newcombe's hybrid score interval (his method 10, 1998) for the difference of two independent
shares, built from the two Wilson intervals. Both are the usual choice for small counts, where the
normal approximation misbehaves near 0 and 1; both are a few lines, so no statistics package."""

from __future__ import annotations

import math

Z95 = 1.959963984540054
TEST = "Newcombe's hybrid score interval (method 10) for the difference of two independent proportions, 95%"


def wilson(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    if trials <= 0:
        raise ValueError("no trials")
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe(s1: int, n1: int, s2: int, n2: int, z: float = Z95) -> tuple[float, float, float]:
    """(difference p1 - p2, low, high)."""
    p1, p2 = s1 / n1, s2 / n2
    l1, u1 = wilson(s1, n1, z)
    l2, u2 = wilson(s2, n2, z)
    difference = p1 - p2
    low = difference - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = difference + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return difference, low, high
