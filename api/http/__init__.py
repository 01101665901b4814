"""The HTTP service: the FastAPI app, its routes and middleware, problem responses, keys and
rate limits, logs, and the support agents' page."""
