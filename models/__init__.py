"""The data: tenants (partners), their staff, their customers and customers' users."""

from models.customer import Customer, CustomerUser, customer_words
from models.history import HistoryEntry
from models.invoice import Invoice, InvoiceCounter, InvoiceLine
from models.outbox import DeliveryAttempt, OutboxEmail
from models.partner import Partner, StaffUser
from models.portal import AccessToken, PortalAccount
from models.tag import Tag, customer_tags

__all__ = [
    "AccessToken", "Customer", "CustomerUser", "DeliveryAttempt", "HistoryEntry", "Invoice", "InvoiceCounter",
    "InvoiceLine", "OutboxEmail",
    "Partner", "PortalAccount", "StaffUser", "Tag", "customer_tags", "customer_words",
]
