"""Issue 14's "Done when": sixty simulated days of `automation run --at` for customers with invoices
in every state (benchmarks/automation_days.py; `python -m benchmarks.automation_days` runs it for
1,000 customers): every reminder, summary, auto-pay charge, receipt and notice is made once, by
the pass the schedule names, and nothing else is."""

from benchmarks.automation_days import check

CUSTOMERS = 40  # every kind of customer, invoice and rule the plan makes occurs in the first 40


def test_sixty_days_of_passes_do_exactly_what_the_schedule_says(app):
    result = check(app, CUSTOMERS)
    assert result.differences == [], "\n".join(result.differences[:40])
    # The check is only worth something if each rule was exercised.
    for kind in ("reminder", "summary", "payment", "auto-pay failed", "invoice", "reminders sent",
                 "reminders skipped", "reminders manual", "reminders no_users", "auto-pay charged",
                 "auto-pay declined", "auto-pay retries"):
        assert result.tally.get(kind, 0) > 0, f"nothing of kind {kind!r}: {result.tally}"
