"""The application factory: config, extensions, blueprints, CLI. Nothing runs at import."""

from apiflask import APIFlask
from flask import Flask
from sqlalchemy import event

from config import load_config
from extensions import csrf, db, limiter, login_manager, ping_connections_that_sat_idle
from payments import gateway_for
from request_input import install_request_input
from signed_session import RememberedSignatures
from unit_of_work import read_outside_transactions


def create_app(config: dict | None = None) -> Flask:
    # APIFlask is Flask plus the OpenAPI document of the API blueprint (blueprints/api): its
    # errors stay the dashboard's pages (json_errors=False); the API's hooks are the blueprint's.
    app = APIFlask(__name__, instance_relative_config=True, title="Receivables API", version="1",
                   spec_path="/api/v1/openapi.json", docs_path=None, json_errors=False)
    app.session_interface = RememberedSignatures()
    app.config.update(load_config(app.instance_path))
    if config:
        app.config.update(config)
    gateway_for(app)  # a payment gateway that cannot run stops the app here, like any ConfigError
    install_request_input(app)
    db.init_app(app)
    with app.app_context():
        postgresql = db.engine.dialect.name == "postgresql"
        if not postgresql:
            event.listen(db.engine, "connect", _sqlite_page_cache)
        else:  # a SQLite file never disconnects
            ping_connections_that_sat_idle(db.engine)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    if postgresql:  # SQLite has no BEGIN round trip to save: no hook for it
        app.before_request(read_outside_transactions)

    from blueprints import register_blueprints
    from cli import register_cli
    from web import install_web_defaults

    register_blueprints(app)
    install_web_defaults(app)
    register_cli(app)
    return app


def _sqlite_page_cache(dbapi_connection, _record) -> None:
    # SQLite keeps 2 MB of pages per connection by default: a search that looks up
    # thousands of customers then reads most of them from the OS again (13 ms instead
    # of 4 ms at 100,000 customers). The cache fills only as pages are read.
    dbapi_connection.execute("PRAGMA cache_size = -32768")  # KiB: 32 MB
