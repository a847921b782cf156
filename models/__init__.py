"""The data: tenants (partners), their staff, their customers and customers' users."""

from models.customer import Customer, CustomerUser
from models.partner import Partner, StaffUser

__all__ = ["Customer", "CustomerUser", "Partner", "StaffUser"]
