"""python -m benchmarks.profile PATH...: where one request's time goes, by pyinstrument.

Builds a SQLite database with the benchmark's data (or uses --database-url, which
must hold the benchmark's login), signs in with Flask's test client, and profiles
each path over many requests, in this process: no gunicorn, no wrk, only the app.

    python -m benchmarks.profile "/customers?q=harbor" "/customers?tag=Overdue"
    python -m benchmarks.profile --blur          # the blur check of Company
"""

import argparse
import os
import re
import secrets
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.data import prepare
from benchmarks.flow import details
from benchmarks.server import ROOT

EMAIL = "bench@example.com"
PARTIAL = {"HX-Request": "true", "HX-Request-Type": "partial"}


def _hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}"[^>]*value="([^"]*)"', html).group(1)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile", description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=["/customers"])
    parser.add_argument("--blur", action="store_true", help="profile POST /customers/new/check/company too")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--invoices", type=int, default=0, help="seed this many invoices too (the benchmark: 500000)")
    parser.add_argument("--database-url", help="an existing database seeded by the benchmark")
    parser.add_argument("--password", help="the login's password, with --database-url")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    try:
        from pyinstrument import Profiler
    except ImportError:
        print("pyinstrument is missing: pip install -e '.[dev]'", file=sys.stderr)
        return 2

    os.environ.update({"APP_ENV": "test", "SECRET_KEY": secrets.token_urlsafe(32)})
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory(prefix="receivables-profile-") as tmp:
        url, password = args.database_url, args.password
        if not url:
            url, password = f"sqlite:///{Path(tmp) / 'profile.sqlite3'}", secrets.token_urlsafe(12)
            env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
            print(f"seeding {args.customers:,} customers and {args.invoices:,} invoices...", flush=True)
            prepare(env, args.customers, args.invoices, EMAIL, password)

        from app import create_app

        app = create_app({"SQLALCHEMY_DATABASE_URI": url.replace("postgresql://", "postgresql+psycopg://", 1),
                          "RATELIMIT_ENABLED": False})
        client = app.test_client()
        login = client.get("/login").text
        client.post("/login", data={"email": EMAIL, "password": password, "csrf_token": _hidden(login, "csrf_token")})
        requests = [("GET", path, {}, None) for path in args.paths]
        if args.blur:
            page = client.get("/customers/new").text
            form = {"csrf_token": _hidden(page, "csrf_token"), "draft_token": _hidden(page, "draft_token"),
                    **details("Blur", 1)}
            requests.append(("POST", "/customers/new/check/company",
                             {**PARTIAL, "X-CSRFToken": form["csrf_token"]}, form))
        for method, path, headers, form in requests:
            def one(method=method, path=path, headers=headers, form=form):
                response = client.open(path, method=method, data=form,
                                       headers={"Accept-Encoding": "gzip", **headers}, buffered=True)
                if response.status_code != 200:
                    raise RuntimeError(f"{method} {path}: {response.status_code}")

            for _ in range(20):
                one()
            started = time.perf_counter()
            for _ in range(args.requests):
                one()
            per_request = (time.perf_counter() - started) * 1000 / args.requests
            profiler = Profiler(interval=0.0005)
            with profiler:
                for _ in range(args.requests):
                    one()
            print(f"\n=== {method} {path}: {per_request:.2f} ms per request (without the profiler)")
            print(profiler.output_text(unicode=True, color=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
