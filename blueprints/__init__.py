"""One blueprint per area of the product."""

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from blueprints import (
        auth,
        customer_page,
        customers,
        errors,
        invoice_documents,
        invoices,
        onboarding,
        overview,
        payments,
        portal,
        portal_invoices,
        settings,
        tags,
    )

    app.register_blueprint(auth.bp)
    app.register_blueprint(customers.bp)
    app.register_blueprint(onboarding.bp)
    app.register_blueprint(customer_page.bp)
    app.register_blueprint(tags.bp)
    app.register_blueprint(invoices.bp)
    app.register_blueprint(settings.bp)
    app.register_blueprint(invoice_documents.bp)
    app.register_blueprint(overview.bp)
    app.register_blueprint(payments.bp)
    app.register_blueprint(portal.bp)
    app.register_blueprint(portal_invoices.bp)
    errors.register(app)
