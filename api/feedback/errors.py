"""The feedback store's failure as the routes report it."""

from __future__ import annotations

from api.core.errors import RewriterError


class StoreUnavailable(RewriterError):
    """The store did not answer (down, unreachable, refused the statement): a 503 in our words."""

    status = 503
    title = "Feedback store unavailable"
