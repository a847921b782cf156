"""One customer's page (blueprint `customer_page`, under /customers/<id>).

shell.py: the page, its tab registry and render_page(); a module per part of the page:
profile.py (the Profile tab, its edit and conflict screen, archive), users.py (the Users
tab: add, edit, remove, invitations), tags.py (the customer's tags, on every tab) and
history.py (the History tab), payment_methods.py (the Payment methods tab). Another
blueprint adds a tab with shell.register_tab().
"""

from blueprints.customer_page import history, payment_methods, profile, tags, users  # noqa: F401  (their views and tabs)
from blueprints.customer_page.shell import bp  # noqa: F401
