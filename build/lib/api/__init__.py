"""Reply Rewriter: rewrite customer-support replies with empathy, keeping every fact."""

__version__ = "0.1.0"
