"""The core: the rewriter every caller uses (the API, the CLI, the evals), its request and result
shapes, templates, settings, limits and errors. No web imports."""
