"""The test suite. Its environment is set here, when the package is first imported (before the
conftest and before anything imports litellm): no network, no telemetry, no user config."""

import os
import tempfile

os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
os.environ.setdefault("XDG_DATA_HOME", tempfile.mkdtemp(prefix="rewriter-xdg-"))
# REWRITER_TEST_* are switches for the test run itself (e.g. REWRITER_TEST_REQUIRE_SYSTEM), not settings.
for _name in [n for n in os.environ if n.startswith("REWRITER_") and not n.startswith("REWRITER_TEST_")]:
    del os.environ[_name]
# respx mocks httpx's transport; the openai lane's default, aiohttp, is tested on real sockets
# (tests/test_lanes.py, and test_faults.py's service processes, which do not inherit this).
os.environ["REWRITER_HTTP_TRANSPORT"] = "httpx"
os.environ.pop("REDIS_URL", None)  # read by Settings too (shared rate limits)

