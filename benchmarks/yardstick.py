"""The yardstick: the smallest Flask app, served by the same gunicorn command.

Every other figure is read against this one: what this machine does for a
request that does nothing.
"""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello from the yardstick."
