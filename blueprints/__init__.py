"""One blueprint per area of the product."""

import importlib

from flask import Flask

# The processor's own hosted pages, by PAYMENT_GATEWAY: registered only for that gateway. The
# module has `bp` and `add_links(return_to)`, the links to its forms that come back to return_to.
PROCESSOR_PAGES: dict[str, str] = {"sandbox": "blueprints.sandbox_processor", "stripe": "blueprints.stripe_elements"}


def register_blueprints(app: Flask) -> None:
    from blueprints import (
        api,
        api_keys,
        auth,
        automation_settings,
        customer_page,
        customer_picker,
        customers,
        errors,
        imports,
        invoice_documents,
        invoices,
        onboarding,
        overview,
        payments,
        portal,
        portal_invoices,
        portal_payment_methods,
        portal_payments,
        settings,
        tags,
        webhooks,
    )

    app.register_blueprint(auth.bp)
    app.register_blueprint(customers.bp)
    app.register_blueprint(customer_picker.bp)
    app.register_blueprint(onboarding.bp)
    app.register_blueprint(customer_page.bp)
    app.register_blueprint(tags.bp)
    app.register_blueprint(invoices.bp)
    app.register_blueprint(settings.bp)
    app.register_blueprint(automation_settings.bp)
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(imports.bp)
    app.register_blueprint(invoice_documents.bp)
    app.register_blueprint(overview.bp)
    app.register_blueprint(payments.bp)
    app.register_blueprint(portal.bp)
    app.register_blueprint(portal_invoices.bp)
    app.register_blueprint(portal_payment_methods.bp)
    if processor_pages := PROCESSOR_PAGES.get(app.config["PAYMENT_GATEWAY"]):
        pages = importlib.import_module(processor_pages)
        app.register_blueprint(pages.bp)
        app.extensions["processor_pages"] = pages  # its add_links(return_to): payment_method_flow
    app.register_blueprint(portal_payments.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(api_keys.bp)
    api.install(app)
    errors.register(app)
