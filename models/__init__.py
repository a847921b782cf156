"""The data: tenants (partners), their staff, their customers and customers' users."""

from models.api import ApiKey, IdempotentRequest
from models.automation import (
    AutoPayCharge,
    AutoPayRule,
    ReminderDelivery,
    ReminderStep,
    SummaryDelivery,
    SummarySchedule,
    auto_pay_exclusions,
    reminders_off_customers,
    reminders_off_tags,
    summary_excluded_customers,
)
from models.customer import Customer, CustomerUser, customer_words
from models.draft import StoredDraft
from models.history import HistoryEntry
from models.invoice import Invoice, InvoiceCounter, InvoiceLine, OpenBalanceByCustomer, OpenBalanceByDay
from models.invoice_send import InvoiceSend
from models.outbox import DeliveryAttempt, OutboxAttachment, OutboxEmail
from models.partner import Partner, StaffLink, StaffUser
from models.payment import Payment, PaymentAttempt, Refund
from models.payment_method import PaymentMethod
from models.portal import AccessToken, PortalAccount
from models.tag import Tag, customer_tags
from models.upload import ImportColumn, ImportUpload
from models.webhook import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent

__all__ = [
    "AccessToken", "ApiKey", "AutoPayCharge", "AutoPayRule",
    "Customer", "CustomerUser", "DeliveryAttempt", "HistoryEntry", "IdempotentRequest",
    "Invoice", "InvoiceCounter",
    "InvoiceLine", "InvoiceSend", "OpenBalanceByCustomer", "OpenBalanceByDay", "OutboxAttachment", "OutboxEmail",
    "PaymentMethod",
    "Partner", "PortalAccount", "ReminderDelivery", "ReminderStep", "SummaryDelivery", "SummarySchedule",
    "StaffLink", "StaffUser", "StoredDraft", "Tag", "customer_tags", "customer_words",
    "reminders_off_customers", "reminders_off_tags", "summary_excluded_customers", "auto_pay_exclusions",
    "Payment", "PaymentAttempt", "Refund",
    "WebhookAttempt", "WebhookDelivery", "WebhookEndpoint", "WebhookEvent", "ImportColumn", "ImportUpload",
]
