"""`flask --app app worker`, as `make run` starts it: a real process, a SQLite file, an outbox folder."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from fresh_app import ROOT, run_fresh_app

FLASK = [sys.executable, "-m", "flask", "--app", "app"]

INVITE_FIRST_USER = """
from extensions import db
from models import CustomerUser
from services.portal_access import invite
with app.app_context():
    user = db.session.query(CustomerUser).order_by(CustomerUser.id).first()
    invite(user)
    db.session.commit()
    report(user.email)
"""


def test_the_worker_delivers_an_invitation_into_the_mail_folder_within_seconds(tmp_path):
    env = {**os.environ, "APP_ENV": "test", "SECRET_KEY": "x" * 32,
           "DATABASE_URL": f"sqlite:///{tmp_path / 'run.sqlite3'}", "MAIL_OUTBOX_DIR": str(tmp_path / "mail")}
    env.pop("MAIL_SERVER", None)
    for args in (["db", "upgrade"], ["seed-demo", "--customers", "2"]):
        subprocess.run([*FLASK, *args], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)  # noqa: S603
    worker = subprocess.Popen([*FLASK, "worker"], cwd=ROOT, env=env, text=True,  # noqa: S603
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        email = run_fresh_app(INVITE_FIRST_USER, **{k: env[k] for k in ("APP_ENV", "SECRET_KEY", "DATABASE_URL",
                                                                           "MAIL_OUTBOX_DIR")})
        queued = time.monotonic()
        while not list((tmp_path / "mail").glob("*.eml")) and time.monotonic() - queued < 15:
            time.sleep(0.1)
        delivered = list((tmp_path / "mail").glob("*.eml"))
        assert len(delivered) == 1, "no invitation within 15 s"
        assert f"To: {email}" in delivered[0].read_text()
    finally:
        worker.send_signal(signal.SIGINT)  # what Ctrl-C in `make run` does
        output, _ = worker.communicate(timeout=30)
    assert worker.returncode == 0, output
    assert f"Emails are written to {Path(tmp_path / 'mail').resolve()}" in output
    assert "Sent 1 email(s). Open them in" in output and "Worker stopped." in output
