"""The table printed at the end of a run, with issue 16's targets and its "before" figures.

    python -m benchmarks.report [RESULTS.json]   # the README's tables (Markdown), from latest.json by default
"""

import json
import sys
from pathlib import Path

P95_TARGET_MS = 50  # every list request (customers, invoices, the Overview), on both databases, 8 connections
# The blur check's requests per second as a share of the yardstick's: the goal, and the
# floor below which issue 16 is not resolved.
BLUR_RATIO = {"sqlite": (0.5, 0.4), "postgresql": (0.4, 0.3)}
# The same request to a view that does nothing (benchmarks/fixed_cost.py): the most a blur check can reach.
FIXED_COST = "blur check's fixed cost"
PEAK_RSS_MB = 126  # a worker's, before issue 16
SEED_SECONDS = 60  # seed-demo --customers 100000
LISTS = ("All Customers", "search", "tag", "Invoices", "Overview")
# Issue 16's figures of the same benchmark before its changes (one run; ranges over several).
BEFORE = {
    "sqlite": {"yardstick": "5,313 req/s", "blur check (company)": "763 req/s (0.14x)",
               "search 'harbor'": "p95 51–69", "tag filter": "p95 42–95"},
    "postgresql": {"yardstick": "3,960 req/s", "blur check (company)": "214 req/s (0.05x)",
                   "All Customers, first page": "p95 93", "All Customers, deep page": "p95 124",
                   "search 'harbor'": "p95 99", "tag filter": "p95 103"},
}


def _before(database: str, name: str) -> str:
    """Issue 16's figure for this request; its tag filter was `?tag=Overdue` (one customer in ten)."""
    figures = BEFORE.get(database, {})
    if name.startswith("tag filter"):
        return f"{figures['tag filter']} (Overdue)" if "tag filter" in figures else ""
    return figures.get(name, "")


def blur_ratio(run: dict, name: str = "blur check (company)") -> float:
    """Requests per second of `name` (the blur check, or its fixed cost) as a share of the yardstick's."""
    yard = run["http"]["yardstick"]["rps"]
    return run["http"][name]["rps"] / yard if yard else 0.0


def verdict(run: dict, name: str) -> str:
    """The target of one request and whether this run met it ("" for the yardstick)."""
    r = run["http"][name]
    if name == FIXED_COST:
        return f"{blur_ratio(run, name):.2f}x yardstick: the most a blur check reaches here"
    if name.startswith("blur"):
        goal, floor = BLUR_RATIO[run["database"]]
        ratio = blur_ratio(run)
        if ratio >= goal:
            judged = "ok"
        elif ratio >= floor:
            judged = f"floor {floor}x met; goal missed by {goal - ratio:.2f}x"
        else:
            judged = "MISSED"
        return f"{ratio:.2f}x yardstick (goal {goal}x) {judged}"
    if name.startswith(LISTS):
        ok = r["p95_ms"] <= P95_TARGET_MS
        return f"p95 <= {P95_TARGET_MS} ms " + ("ok" if ok else f"MISSED by {r['p95_ms'] - P95_TARGET_MS:.1f} ms")
    return ""


def rows(run: dict) -> list[tuple]:
    out = []
    for name, r in run["http"].items():
        errors = ",".join(f"{k}={v}" for k, v in r["errors"].items()) or "-"
        out.append((name, f"{r['rps']:.0f}", f"{r['p50_ms']:.1f}", f"{r['p95_ms']:.1f}", f"{r['p99_ms']:.1f}",
                    errors, _before(run["database"], name), verdict(run, name)))
    return out


def _ok(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def print_report(report: dict) -> None:
    print(f"\ngunicorn {report['gunicorn']}; wrk {report['wrk']}; {report['machine']['cpus']} CPUs, "
          f"load average at start {report['machine']['load_average_at_start']}, "
          f"at end {report['machine'].get('load_average_at_end')}")
    head = ("request", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "before", "target")
    for run in report["runs"]:
        table = [head, *rows(run)]
        widths = [max(len(str(row[i])) for row in table) for i in range(len(head))]
        print(f"\n{run['database']} ({run['customers']:,} customers for one partner; seed-demo took "
              f"{run['seed_seconds']} s, target < {SEED_SECONDS} s {_ok(run['seed_seconds'] < SEED_SECONDS)}; "
              f"{run.get('invoices', 0):,} invoices, seeded in {run.get('invoice_seed_seconds', '–')} s)")
        for row in table:
            print("  " + "  ".join(str(cell).ljust(w) if i in (0, 5, 6, 7) else str(cell).rjust(w)
                                   for i, (cell, w) in enumerate(zip(row, widths, strict=True))))
        flow = run["flow"]
        weight = run["page_weight"]
        print(f"  Add-customer flow: {flow['customers_per_s']} customers/s ({flow['customers']} by {flow['tabs']} tabs"
              f" in {flow['seconds']} s; {flow['non_2xx_3xx']} error responses)")
        print(f"  peak RSS of one worker: {run['peak_worker_rss_mb']} MB (before {PEAK_RSS_MB} MB) "
              f"{_ok(run['peak_worker_rss_mb'] <= PEAK_RSS_MB)}")
        print(f"  page weight of {weight['page']}: {weight['total_kb']} kB compressed "
              f"({weight['uncompressed_kb']} kB raw), budget {weight['budget_kb']} kB "
              f"{_ok(weight['within_budget'])};"
              f" compressed {weight['all_compressed']}, assets fingerprinted {weight['assets_fingerprinted']}"
              f" and cached a year {weight['assets_cached_a_year']}")
        for what, note in run.get("notes", {}).items():
            print(f"  not measured: {what}: {note}")
    res = report.get("resilience")
    if res:
        print(f"\nresilience: {res['partners']} partners, {res['seconds']:.0f} s, PostgreSQL down from "
              f"{res['database_down_s'][0]} s to {res['database_down_s'][1]} s")
        print(f"  'Customer created' seen {res['customer_created_seen']}, stored {res['customers_stored']}, "
              f"message lost {res['created_message_lost']}, created after the restart {res['created_after_restart']}")
        print(f"  500 error pages {res['error_pages_500']} (last at {res['last_error_at_s']} s), "
              f"duplicates {res['duplicates']}, orphan users {res['orphan_users']}, "
              f"half-written {res['half_written']}, unexpected {res['unexpected_count']}")
        print("  " + ("PASSED" if not res["problems"] else "FAILED: " + "; ".join(res["problems"])))


def _cell(run: dict | None, name: str) -> str:
    if run is None or name not in run["http"]:
        return "–"
    r = run["http"][name]
    if name == "yardstick":
        return f"{r['rps']:,.0f} req/s"
    if name.startswith("blur"):
        return f"{r['rps']:,.0f} req/s (**{blur_ratio(run, name):.2f}x**)"
    return f"p95 **{r['p95_ms']:.1f}** (p50 {r['p50_ms']:.1f})"


def markdown(report: dict) -> str:
    """The README's tables: each figure before (issue 16) and after (this run), per database."""
    runs = {run["database"]: run for run in report["runs"]}
    names = list(dict.fromkeys(name for run in report["runs"] for name in run["http"]))
    lines = ["| Request | SQLite before | SQLite after | PostgreSQL before | PostgreSQL after | Target |",
             "|---|---|---|---|---|---|"]
    for name in names:
        target = ""
        if name == FIXED_COST:
            target = "none: the blur check's ceiling on the machine"
        elif name.startswith("blur"):
            target = " / ".join(f"{goal}x ({db})" for db, (goal, _floor) in BLUR_RATIO.items())
        elif name.startswith(LISTS):
            target = f"p95 ≤ {P95_TARGET_MS} ms"
        lines.append(f"| {name} | {_before('sqlite', name) or '–'} | {_cell(runs.get('sqlite'), name)} | "
                     f"{_before('postgresql', name) or '–'} | {_cell(runs.get('postgresql'), name)} | {target} |")

    def each(key, unit):
        return " | ".join(f"{runs[db].get(key, '–')} {unit}" if db in runs else "–" for db in ("sqlite", "postgresql"))

    lines += ["", "| | SQLite | PostgreSQL | Target |", "|---|---|---|---|",
              f"| `seed-demo --customers 100000` | {each('seed_seconds', 's')} | < {SEED_SECONDS} s |",
              f"| `seed-demo --invoices 500000` | {each('invoice_seed_seconds', 's')} | |",
              f"| peak RSS of one worker | {each('peak_worker_rss_mb', 'MB')} | ≤ {PEAK_RSS_MB} MB (before) |"]
    flows = " | ".join(f"{runs[db]['flow']['customers_per_s']} customers/s" if db in runs else "–"
                       for db in ("sqlite", "postgresql"))
    lines.append(f"| Add-customer flow, 4 tabs | {flows} | |")
    res = report.get("resilience")
    if res:
        lines += ["", f"Resilience ({res['partners']} partners, {res['seconds']:.0f} s, PostgreSQL down from "
                      f"{res['database_down_s'][0]} s to {res['database_down_s'][1]} s): "
                      + ("**passed**" if not res["problems"] else "**failed**: " + "; ".join(res["problems"]))
                      + f"; {res['customers_stored']} customers stored, {res['error_pages_500']} error pages."]
    machine = report["machine"]
    lines += ["", f"Load average {machine['load_average_at_start'][0]} at the start, "
                  f"{machine.get('load_average_at_end', ['?'])[0]} at the end ({machine['cpus']} CPUs)."]
    return "\n".join(lines)


if __name__ == "__main__":
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / "results" / "latest.json"
    print(markdown(json.loads(path.read_text())))
