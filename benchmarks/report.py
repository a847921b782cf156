"""The table printed at the end of a run, with the targets of issue 6 beside the figures."""

P95_TARGET_MS = 50  # All Customers pages on SQLite, 8 connections
BLUR_RATIO_TARGET = 0.5  # of the yardstick's requests per second


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def rows(run: dict) -> list[tuple]:
    http = run["http"]
    yard = http["yardstick"]["rps"]
    out = []
    for name, r in http.items():
        target = ""
        if name.startswith("blur"):
            ratio = r["rps"] / yard if yard else 0
            target = f"{ratio:.2f}x yardstick (>= {BLUR_RATIO_TARGET}x) {_verdict(ratio >= BLUR_RATIO_TARGET)}"
        elif run["database"] == "sqlite" and name.startswith(("All Customers", "search", "tag")):
            target = f"p95 <= {P95_TARGET_MS} ms {_verdict(r['p95_ms'] <= P95_TARGET_MS)}"
        errors = ",".join(f"{k}={v}" for k, v in r["errors"].items()) or "-"
        out.append((name, f"{r['rps']:.0f}", f"{r['p50_ms']:.1f}", f"{r['p95_ms']:.1f}", f"{r['p99_ms']:.1f}",
                    errors, target))
    return out


def print_report(report: dict) -> None:
    print(f"\ngunicorn {report['gunicorn']}; wrk {report['wrk']}; {report['machine']['cpus']} CPUs, "
          f"load average at start {report['machine']['load_average_at_start']}, "
          f"at end {report['machine'].get('load_average_at_end')}")
    head = ("request", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "target")
    for run in report["runs"]:
        table = [head, *rows(run)]
        widths = [max(len(str(row[i])) for row in table) for i in range(len(head))]
        print(f"\n{run['database']} ({run['customers']:,} customers for one partner; "
              f"seed-demo took {run['seed_seconds']} s)")
        for row in table:
            print("  " + "  ".join(str(cell).ljust(w) if i in (0, 5, 6) else str(cell).rjust(w)
                                   for i, (cell, w) in enumerate(zip(row, widths, strict=True))))
        flow = run["flow"]
        weight = run["page_weight"]
        print(f"  Add-customer flow: {flow['customers_per_s']} customers/s ({flow['customers']} by {flow['tabs']} tabs"
              f" in {flow['seconds']} s; {flow['non_2xx_3xx']} error responses)")
        print(f"  peak RSS of one worker: {run['peak_worker_rss_mb']} MB")
        print(f"  page weight of {weight['page']}: {weight['total_kb']} kB compressed "
              f"({weight['uncompressed_kb']} kB raw), budget {weight['budget_kb']} kB "
              f"{_verdict(weight['within_budget'])};"
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
