"""One blueprint per area of the product."""

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from blueprints import auth, customers, errors, onboarding

    app.register_blueprint(auth.bp)
    app.register_blueprint(customers.bp)
    app.register_blueprint(onboarding.bp)
    errors.register(app)
