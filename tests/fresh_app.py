"""A fresh app from create_app(), in its own process, for tests that need one of their own.

For an app made from an environment of its own (production settings, another database)
without touching the test run's app and its process. The script runs in a child process
with the environment given; it gets `app` (made by create_app()) and
`client`, and hands its answer back with `report(...)` (anything JSON can carry).
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).parent.parent

PRELUDE = """
import json, sys
from app import create_app
app = create_app()
client = app.test_client()
def report(value):
    print("REPORT:" + json.dumps(value))
"""


def run_fresh_app(script: str, *args: str, **env: str):
    """Run script (with args in sys.argv[1:]) against a new app made with the environment env."""
    result = subprocess.run(  # noqa: S603 - the tests' own script
        [sys.executable, "-c", PRELUDE + textwrap.dedent(script), *args],
        cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("REPORT:"))
    return json.loads(line.removeprefix("REPORT:"))

