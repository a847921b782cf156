"""Forms of the customer portal."""

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField
from wtforms.validators import InputRequired, Length


class PortalSignInForm(FlaskForm):
    email = EmailField("Email address", validators=[InputRequired("Enter your email address"), Length(max=254)],
                       filters=[lambda v: v.strip() if isinstance(v, str) else v])
    password = PasswordField("Password", validators=[InputRequired("Enter your password"), Length(max=1024)])


class ChooseCompanyForm(FlaskForm):
    customer_id = HiddenField()
