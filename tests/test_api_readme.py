"""The README's API script, run as written (only `requests`) against the app served over HTTP."""

import os
import re
import subprocess
import sys
from pathlib import Path

from api_helpers import CUSTOMER, bearer, make_key
from sqlalchemy import select

from e2e.conftest import serving
from extensions import db
from models import Invoice

README = Path(__file__).parent.parent / "README.md"


def readme_script() -> str:
    section = README.read_text().split("\n## API\n", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_script_creates_upserts_lists_and_pages(app, partner, tmp_path):
    key = make_key(app, partner)
    earlier = [app.test_client().post("/api/v1/customers", json={**CUSTOMER, "ein": "", "company": f"Earlier {n}"},
                                      headers=bearer(key)).get_json()["id"] for n in range(3)]
    script = tmp_path / "sync.py"
    script.write_text(readme_script())
    with serving(app) as base:
        env = {**os.environ, "RECEIVABLES_URL": base, "RECEIVABLES_API_KEY": key}
        result = subprocess.run([sys.executable, str(script)], env=env, capture_output=True,  # noqa: S603
                                text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    customer_id = lines[0].split()[1]
    assert lines[:3] == [f"201 {customer_id}", "200 Round Rock", "201 INV-0001 40594"]
    # Two a page: the newest first, through every page.
    with app.app_context():
        invoice_id = db.session.scalar(select(Invoice.id))
    assert lines[3:] == [f"customers {customer_id}", *(f"customers {n}" for n in reversed(earlier)),
                         f"invoices {invoice_id}"]
    # The README links the document the script's requests follow.
    assert "[`/api/v1/openapi.json`]" in README.read_text()
