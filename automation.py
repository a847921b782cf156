"""`flask --app app automation run [--at ISO-8601] [--watch]`: the automation pass
(services/automation.py) from the command line, and its job for the worker."""

import time
from datetime import UTC, datetime

import click
from flask import Flask
from flask.cli import AppGroup

from extensions import db
from mailer import stop_on_signals
from services.automation import run_pass

EVERY = 60.0  # seconds between passes with --watch (and in the worker)


def _moment(value: str | None) -> datetime:
    if not value:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("give a moment like 2027-03-15T09:00:00-05:00", param_hint="--at") from None
    if moment.tzinfo is None:
        raise click.BadParameter("give the moment's offset too (2027-03-15T09:00:00-05:00, or Z for UTC)",
                                 param_hint="--at")
    return moment


def job(_worker: str, _stopping) -> str | None:
    """The worker's entry (worker.JOBS): one pass as of now; a line only when it queued something."""
    counts = run_pass(datetime.now(UTC))
    return counts.line(datetime.now(UTC)) if counts.queued else None


def register_automation_cli(app: Flask) -> None:
    group = AppGroup("automation", help="Reminders and the other automatic emails.")

    @group.command("run")
    @click.option("--at", "at", help="Run as of this moment (ISO 8601 with its offset); default: now.")
    @click.option("--watch", is_flag=True, help="Run a pass every minute until Ctrl-C or SIGTERM.")
    def run(at: str | None, watch: bool) -> None:
        """Run one automation pass and print what it queued (counts per kind)."""
        moment = _moment(at)
        if not watch:
            click.echo(run_pass(moment).line(moment))
            return
        with stop_on_signals() as stopping:
            while not stopping():
                moment = datetime.now(UTC)
                click.echo(run_pass(moment).line(moment))
                db.session.remove()
                wake = time.monotonic() + EVERY
                while not stopping() and time.monotonic() < wake:
                    time.sleep(0.2)

    app.cli.add_command(group)
