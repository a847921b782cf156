"""python -m benchmarks: serve the app with gunicorn, load it with wrk, print and keep the numbers.

Once on SQLite and once on PostgreSQL (a private cluster this command starts in
a temporary directory and removes afterwards), each with the yardstick served
by the same gunicorn command; then the resilience run against that cluster.
See the README's Performance section.
"""

import argparse
import json
import os
import platform
import secrets
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from benchmarks import resilience
from benchmarks.browser import Browser, hidden
from benchmarks.data import page_cursors, prepare
from benchmarks.fixed_cost import EMPTY_CHECK
from benchmarks.flow import Partner, Tally, details
from benchmarks.load import hammer
from benchmarks.pgcluster import PrivateCluster, free_port
from benchmarks.report import FIXED_COST, print_report
from benchmarks.server import ROOT, WORKER_CLASS, WORKERS, Gunicorn
from benchmarks.weight import page_weight

RESULTS = Path(__file__).resolve().parent / "results"
EMAIL = "bench@example.com"
PASSWORD = "benchmark password " + secrets.token_hex(4)
PARTIAL = {"HX-Request": "true", "HX-Request-Type": "partial"}
BLUR_CHECK = "/customers/new/check/company"
SEARCH_WORD = "harbor"  # one customer in 25, all sorted together under H: the hard case for a list walk
SEARCH_EIN = "930001234"  # demo customer 1234's, typed without the hyphen
SEARCH_NOTHING = "xylophone"  # no customer's word starts so
FILTER_TAGS = ("Managed", "VIP")  # seed-demo's: one customer in four, one in fifty
ROW = '<td><a href="/customers/'
# What a page must show before it is loaded: (text, how many times at least).
SHOWN = {"Invoices, first page": ("data-status=", 25), "Invoices, overdue": ('data-status="overdue"', 25),
         "Overview": ('class="aging-bar ', 5)}


def app_env(database_url: str, port: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("SESSION_REDIS_URL", "FLASK_APP")}
    env.update({
        "APP_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "BASE_URL": f"http://127.0.0.1:{port}",
        "DATABASE_URL": database_url,
        "RATELIMIT_STORAGE_URI": "memory://",
        "PYTHONPATH": str(ROOT),
    })
    return env


def signed_in(port: int) -> tuple[Browser, dict]:
    browser = Browser("127.0.0.1", port)
    browser.sign_in(EMAIL, PASSWORD)
    page = browser.get("/customers/new")
    tokens = {"csrf_token": hidden(page.text, "csrf_token"), "draft_token": hidden(page.text, "draft_token")}
    return browser, tokens


def rows_on(response) -> int:
    return response.text.count(ROW)


def cookie_header(browser: Browser) -> str:
    return "; ".join(f"{k}={v}" for k, v in browser.cookies.items())


def blur_form(tokens: dict) -> dict:
    """What a tab posts when the partner leaves Company: the whole step-1 form."""
    return {**tokens, **details("Blur", 1)}


def blur_request(tokens: dict, path: str = BLUR_CHECK) -> dict:
    """wrk's arguments for a blur check posted to path (the CSRF token in htmx's header); the cookie is added
    once the request was checked by hand."""
    return dict(path=path, method="POST", body=urlencode(blur_form(tokens)),
                headers={**PARTIAL, "X-CSRFToken": tokens["csrf_token"]})


def scenarios(browser: Browser, tokens: dict, cursors: dict, tags: bool) -> tuple[dict, dict]:
    """name -> wrk arguments, each checked once by hand first; and notes on what was left out."""
    cookie = cookie_header(browser)
    plan = {
        "blur check (company)": blur_request(tokens),
        "All Customers, first page": dict(path="/customers"),
        "All Customers, deep page": dict(path=f"/customers?after={cursors['deep_after']}"),
        f"search '{SEARCH_WORD}'": dict(path=f"/customers?q={SEARCH_WORD}"),
        "search by EIN": dict(path=f"/customers?q={SEARCH_EIN}"),
        "search matching nothing": dict(path=f"/customers?q={SEARCH_NOTHING}"),
    }
    plan |= {"Invoices, first page": dict(path="/invoices"), "Invoices, overdue": dict(path="/invoices?status=overdue"),
             "Overview": dict(path="/overview")}
    notes = {}
    first_page = browser.get("/customers")
    if tags:
        for tag in FILTER_TAGS:
            plan[f"tag filter '{tag}'"] = dict(path=f"/customers?tag={tag}")
    else:
        notes["tag filter"] = "the schema has no tags yet"
    for name, args in list(plan.items()):
        headers = args.get("headers", {})
        if args.get("method") == "POST":
            response = browser.post(args["path"], blur_form(tokens), headers=headers)
        else:
            response = browser.get(args["path"], headers=headers)
        if response.status != 200:
            raise RuntimeError(f"{name}: {args['path']} answered {response.status}")
        if name in SHOWN:
            text, least = SHOWN[name]
            if response.text.count(text) < least:
                raise RuntimeError(f"{name}: {args['path']} shows {response.text.count(text)} of {text!r}")
        elif (rows_on(response) == 0) != (name == "search matching nothing") and not name.startswith("blur"):
            raise RuntimeError(f"{name}: {args['path']} shows {rows_on(response)} customers")
        if name.startswith("tag") and response.text == first_page.text:
            notes[name] = "?tag= does not filter the list yet"
            del plan[name]
        args["headers"] = {**headers, "Cookie": cookie}
    return plan, notes


def fixed_cost(port: int, run: dict) -> dict:
    """The blur check's request, signed in, to the view of benchmarks/fixed_cost.py that does nothing."""
    browser, tokens = signed_in(port)
    request = blur_request(tokens, EMPTY_CHECK)
    response = browser.post(EMPTY_CHECK, blur_form(tokens), headers=request["headers"])
    if response.status != 200 or response.body:
        raise RuntimeError(f"{FIXED_COST}: {EMPTY_CHECK} answered {response.status} with {len(response.body)} bytes")
    request["headers"]["Cookie"] = cookie_header(browser)
    return hammer(port, request.pop("path"), **request, **run)


def flow_rate(port: int, seconds: float, tabs: int = 4) -> dict:
    """Whole Add-customer flows (5 requests each) by `tabs` signed-in tabs at once."""
    tallies = [Tally() for _ in range(tabs)]
    partners = []
    for i, tally in enumerate(tallies):
        browser = Browser("127.0.0.1", port)
        browser.sign_in(EMAIL, PASSWORD)
        partners.append(Partner(browser, f"Flow{i}", tally))
    started = time.monotonic()
    stop_at = started + seconds
    threads = [threading.Thread(target=p.run_until, args=(stop_at, 30)) for p in partners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    total = Tally()
    for tally in tallies:
        total.merge(tally)
    return {
        "customers_per_s": round(len(total.confirmed) / elapsed, 1),
        "customers": len(total.confirmed),
        "tabs": tabs,
        "seconds": round(elapsed, 1),
        "unexpected": total.failures[:5],
        "non_2xx_3xx": sum(v for k, v in total.statuses.items() if k >= 400),
    }


def bench_backend(name: str, database_url: str, args, logs: Path) -> dict:
    print(f"\n== {name}: schema, {args.customers:,} customers and {args.invoices:,} invoices", flush=True)
    port, yard_port, fixed_port = free_port(), free_port(), free_port()
    env = app_env(database_url, port)
    data = prepare(env, args.customers, args.invoices, EMAIL, PASSWORD)
    print(f"   seed-demo --customers {args.customers}: {data['seed_seconds']} s; "
          f"--invoices {args.invoices}: {data['invoice_seed_seconds']} s", flush=True)
    cursors = page_cursors(database_url, data["partner_id"])
    result = {"database": name, "customers": cursors["total"], "invoices": cursors["invoices"],
              "seed_seconds": data["seed_seconds"], "invoice_seed_seconds": data["invoice_seed_seconds"], "http": {}}
    run = dict(connections=args.connections, seconds=args.seconds)

    with Gunicorn("benchmarks.yardstick:app", yard_port, env, logs / f"gunicorn-yardstick-{name}.log"):
        result["http"]["yardstick"] = hammer(yard_port, "/", **run)
        print(f"   yardstick: {result['http']['yardstick']['rps']} req/s", flush=True)

    fixed_log = logs / f"gunicorn-fixed-cost-{name}.log"
    with Gunicorn("benchmarks.fixed_cost:create_app()", fixed_port, app_env(database_url, fixed_port), fixed_log):
        result["http"][FIXED_COST] = fixed_cost(fixed_port, run)
        print(f"   {FIXED_COST}: {result['http'][FIXED_COST]['rps']} req/s", flush=True)

    with Gunicorn("app:create_app()", port, env, logs / f"gunicorn-app-{name}.log") as server:
        browser, tokens = signed_in(port)
        plan, notes = scenarios(browser, tokens, cursors, data["tags"])
        for label, request in plan.items():
            result["http"][label] = hammer(port, request.pop("path"), **request, **run)
            print(f"   {label}: {result['http'][label]['rps']} req/s, p95 {result['http'][label]['p95_ms']} ms",
                  flush=True)
        result["notes"] = notes
        result["flow"] = flow_rate(port, args.flow_seconds)
        print(f"   Add-customer flow: {result['flow']['customers_per_s']} customers/s", flush=True)
        result["page_weight"] = page_weight(browser, "/customers/new")
        result["peak_worker_rss_mb"] = server.peak_worker_rss_mb()
    return result


def bench_resilience(cluster: PrivateCluster, args, logs: Path) -> dict:
    print(f"\n== resilience: {args.partners} partners for {args.resilience_seconds:.0f} s, "
          "PostgreSQL stopped and restarted midway", flush=True)
    url = cluster.create_database("resilience")
    port = free_port()
    env = app_env(url, port)
    from benchmarks.data import flask, make_partners

    flask(env, "db", "upgrade")
    partners = make_partners(env, args.partners, PASSWORD)
    third = args.resilience_seconds / 3
    with Gunicorn("app:create_app()", port, env, logs / "gunicorn-resilience.log"):
        result = resilience.run(cluster, url, port, partners, PASSWORD, seconds=args.resilience_seconds,
                                outage=(third, third + min(7.0, third)))
    result["problems"] = resilience.verdict(result)
    return result


def machine() -> dict:
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--invoices", type=int, default=500_000)
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--flow-seconds", type=float, default=15)
    parser.add_argument("--partners", type=int, default=20)
    parser.add_argument("--resilience-seconds", type=float, default=30)
    parser.add_argument("--only", choices=["sqlite", "postgresql", "resilience"], action="append")
    parser.add_argument("--quick", action="store_true",
                        help="10,000 customers, 50,000 invoices, 3 s runs: to try the command out")
    args = parser.parse_args()
    if args.quick:
        args.customers, args.invoices, args.seconds, args.flow_seconds = 10_000, 50_000, 3, 5
    only = set(args.only or ["sqlite", "postgresql", "resilience"])

    report = {"started": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(),
              "gunicorn": f"{WORKERS} workers, {WORKER_CLASS}", "wrk": f"{args.connections} connections, "
              f"{args.seconds} s per run", "runs": [], "resilience": None}
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    logs = RESULTS / "logs" / stamp  # gunicorn's logs, kept for a look after the run
    logs.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="receivables-bench-") as tmp, PrivateCluster() as cluster:
        workdir = Path(tmp)
        if "sqlite" in only:
            report["runs"].append(bench_backend("sqlite", f"sqlite:///{workdir / 'bench.sqlite3'}", args, logs))
        if "postgresql" in only:
            report["runs"].append(bench_backend("postgresql", cluster.create_database("bench"), args, logs))
        if "resilience" in only:
            report["resilience"] = bench_resilience(cluster, args, logs)

    # Other work on the machine skews every figure: keep how busy it was.
    report["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    print_report(report)
    for path in (RESULTS / f"{stamp}.json", RESULTS / "latest.json"):
        path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nWritten to {RESULTS / (stamp + '.json')}")
    resilience_ok = report["resilience"] is None or not report["resilience"]["problems"]
    return 0 if resilience_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
