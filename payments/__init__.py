"""Payments through one interface (payments.gateway.PaymentGateway), the gateway chosen by
configuration: PAYMENT_GATEWAY=sandbox (the default) or stripe.

A gateway is one entry in GATEWAYS (its name → a factory taking the app) and its own
module. `gateway_for(app)` is the one way to reach the configured gateway; create_app
calls it once, so a gateway that cannot run refuses to start the app.
"""

from collections.abc import Callable

from flask import Flask

from config import ConfigError
from payments.gateway import PaymentGateway
from payments.sandbox import SandboxGateway


def _stripe(app: Flask) -> PaymentGateway:
    # Imported here: only an app that uses Stripe loads its SDK.
    from payments.stripe_gateway import StripeGateway

    return StripeGateway.for_app(app)


GATEWAYS: dict[str, Callable[[Flask], PaymentGateway]] = {
    "sandbox": SandboxGateway,
    "stripe": _stripe,
}
_BUILT = "payment_gateways"


def gateway_for(app: Flask) -> PaymentGateway:
    """The gateway PAYMENT_GATEWAY names, made once per app."""
    name = app.config["PAYMENT_GATEWAY"]
    built = app.extensions.setdefault(_BUILT, {})
    if name not in built:
        if name not in GATEWAYS:
            raise ConfigError(f"PAYMENT_GATEWAY must be one of {', '.join(GATEWAYS)}, not {name!r}.")
        built[name] = GATEWAYS[name](app)
    return built[name]
