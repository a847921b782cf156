"""The background worker: `flask --app app worker` runs each periodic job when it is due.

A job is a function taking the worker's name and a `stopping()` check, returning a line to print (or None when
it had nothing to say). Adding one (reminders, webhooks, imports) is one entry in JOBS.
"""

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import click
from flask import Flask, current_app

import automation
from extensions import db
from mailer import default_worker_name, deliver_outbox, delivery_target, stop_on_signals
from services import idempotency
from services.drafts import delete_expired
from services.imports import run_queued
from services.payments import settle_debits
from services.webhooks import deliver_webhooks


@dataclass(frozen=True)
class Job:
    name: str
    every: float  # seconds between the end of one run and the start of the next
    run: Callable[[str, Callable[[], bool]], str | None]


# Outboxes besides the emails' that `flask outbox send` delivers too.
MORE_OUTBOXES: list[Job] = [
    Job("webhooks", 2.0, deliver_webhooks),
]

JOBS: list[Job] = [
    Job("outbox", 2.0, deliver_outbox),
    *MORE_OUTBOXES,
    Job("imports", 2.0, run_queued),  # CSV files over 1,000 rows (services/imports.py)
    Job("drafts", 3600.0, delete_expired),  # customers being added, abandoned for 12 hours
    Job("automation", automation.EVERY, automation.job),  # reminders (and summaries) due now
    Job("idempotency", 3600.0, idempotency.delete_expired),  # API responses kept 24 hours for Idempotency-Key
    Job("bank_debits", 60.0, settle_debits),  # pending bank debits: settled or failed at the processor
]


def run_jobs(jobs: Sequence[Job], worker: str, stopping: Callable[[], bool]) -> None:
    """Run each job when it is due until `stopping()`; one job's failure is logged, never fatal
    (a lost database connection must not end the worker)."""
    due = {job.name: 0.0 for job in jobs}
    while not stopping():
        for job in jobs:
            if stopping() or time.monotonic() < due[job.name]:
                continue
            try:
                line = job.run(worker, stopping)
            except Exception:
                db.session.rollback()
                current_app.logger.exception("%s failed; trying again in %s s", job.name, job.every)
            else:
                if line:
                    click.echo(line)
            finally:
                db.session.remove()
            due[job.name] = time.monotonic() + job.every
        wake = min(due.values())
        while not stopping() and time.monotonic() < wake:
            time.sleep(min(0.2, max(wake - time.monotonic(), 0.01)))


def register_worker_cli(app: Flask) -> None:
    @app.cli.command("worker")
    def worker() -> None:
        """Run the background jobs (email delivery, ...) until Ctrl-C or SIGTERM."""
        name = default_worker_name()
        with stop_on_signals() as stopping:
            click.echo(f"Worker {name}: {', '.join(job.name for job in JOBS)}. Emails {delivery_target()}.")
            run_jobs(JOBS, name, stopping)
        click.echo("Worker stopped.")
