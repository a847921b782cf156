"""Resilience: 20 partners add customers at once while PostgreSQL goes away and comes back.

Run by `python -m benchmarks` (not by CI), against a private cluster that it
stops and restarts in the middle of the run. Afterwards the database must hold
exactly the customers the partners were told were created, each whole (its two
users), none twice; every failed request must have been the app's own 500 page
(no stack trace), only while the database was down; and the app must go on
creating customers afterwards without being restarted.
"""

import threading
import time
from datetime import UTC, datetime

from sqlalchemy import create_engine, text

from benchmarks.browser import Browser
from benchmarks.data import sqlalchemy_url
from benchmarks.flow import Partner, Tally
from benchmarks.pgcluster import PrivateCluster

USERS_PER_CUSTOMER = 2
RECOVERY_GRACE = 10.0  # seconds after the restart in which the last errors may still land


def check_database(url: str, tallies: dict[str, Tally], staff_ids: dict[str, int]) -> dict:
    engine = create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT c.id, c.created_by_id, c.company, count(u.id) FROM customers c"
                " LEFT JOIN customer_users u ON u.customer_id = c.id GROUP BY c.id, c.created_by_id, c.company"
            )).all()
            orphan_users = conn.execute(text(
                "SELECT count(*) FROM customer_users u WHERE NOT EXISTS"
                " (SELECT 1 FROM customers c WHERE c.id = u.customer_id)")).scalar_one()
    finally:
        engine.dispose()
    by_staff: dict[int, set[int]] = {}
    companies: dict[tuple[int, str], int] = {}
    half_written = []
    for customer_id, staff_id, company, user_count in rows:
        by_staff.setdefault(staff_id, set()).add(customer_id)
        companies[(staff_id, company)] = companies.get((staff_id, company), 0) + 1
        if user_count != USERS_PER_CUSTOMER:
            half_written.append(customer_id)
    mismatches = []
    for label, tally in tallies.items():
        told = set(tally.confirmed) | set(tally.landed_unconfirmed)
        stored = by_staff.get(staff_ids[label], set())
        if told != stored:
            mismatches.append({"partner": label, "told": len(told), "stored": len(stored),
                               "stored_not_told": sorted(stored - told)[:10],
                               "told_not_stored": sorted(told - stored)[:10]})
    return {
        "customers_stored": len(rows),
        "duplicates": sum(n - 1 for n in companies.values() if n > 1),
        "orphan_users": orphan_users,
        "half_written": len(half_written),
        "mismatched_partners": mismatches,
    }


def run(cluster: PrivateCluster, url: str, port: int, partners: dict[str, tuple[str, int]], password: str,
        seconds: float = 30.0, outage: tuple[float, float] = (10.0, 17.0)) -> dict:
    """partners: label -> (email, staff id). The app is already served on port, against url."""
    tallies = {label: Tally() for label in partners}
    browsers = {}
    for label, (email, _staff_id) in partners.items():
        browsers[label] = Browser("127.0.0.1", port, timeout=60)
        browsers[label].sign_in(email, password)

    start = time.monotonic()
    stop_at = start + seconds

    def partner_loop(label: str) -> None:
        Partner(browsers[label], label, tallies[label]).run_until(stop_at, grace=outage[1] - outage[0] + 30)

    threads = [threading.Thread(target=partner_loop, args=(label,), daemon=True) for label in partners]
    for thread in threads:
        thread.start()

    time.sleep(max(0.0, start + outage[0] - time.monotonic()))
    down_at = time.monotonic() - start
    cluster.stop()
    time.sleep(max(0.0, start + outage[1] - time.monotonic()))
    cluster.start()
    up_at = time.monotonic() - start

    for thread in threads:
        thread.join(timeout=seconds + 120)

    total = Tally()
    for tally in tallies.values():
        total.merge(tally)
    stored = check_database(url, tallies, {label: staff for label, (_e, staff) in partners.items()})
    error_times = [t - start for t in total.error_times]
    outside = [round(t, 1) for t in error_times if not (down_at - 1 <= t <= up_at + RECOVERY_GRACE)]
    last_error = max(error_times, default=None)
    created_after = _created_after(url, up_at, start)
    return {
        "partners": len(partners),
        "seconds": seconds,
        "database_down_s": [round(down_at, 1), round(up_at, 1)],
        "customer_created_seen": len(total.confirmed),
        "created_message_lost": len(total.landed_unconfirmed),
        "error_pages_500": total.error_pages,
        "errors_outside_outage": outside,
        "last_error_at_s": round(last_error, 1) if last_error is not None else None,
        "unexpected": total.failures[:20],
        "unexpected_count": len(total.failures),
        "statuses": {str(k): v for k, v in sorted(total.statuses.items())},
        "created_after_restart": created_after,
        **stored,
    }


def _created_after(url: str, up_at: float, start: float) -> int:
    """Customers stored after the database came back (by their created_at)."""
    engine = create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as conn:
            since = time.time() - (time.monotonic() - start - up_at)
            cutoff = datetime.fromtimestamp(since, UTC).replace(tzinfo=None)  # created_at is naive UTC
            return conn.execute(text("SELECT count(*) FROM customers WHERE created_at > :c"),
                                {"c": cutoff}).scalar_one()
    finally:
        engine.dispose()


def verdict(result: dict) -> list[str]:
    """What failed, in words; empty when the run passed."""
    problems = []
    if result["mismatched_partners"]:
        problems.append(f"{len(result['mismatched_partners'])} partners were told otherwise than the database says")
    for key in ("duplicates", "orphan_users", "half_written", "unexpected_count"):
        if result[key]:
            problems.append(f"{key.replace('_', ' ')}: {result[key]}")
    if result["errors_outside_outage"]:
        problems.append(f"500s while the database was up: {result['errors_outside_outage'][:10]}")
    if not result["error_pages_500"]:
        problems.append("no request failed while the database was down (was it really stopped?)")
    if not result["created_after_restart"]:
        problems.append("no customer was created after the database came back: the app did not recover")
    return problems
