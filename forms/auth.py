"""Forms of signing in and of choosing a password, for staff and portal logins alike."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import EqualTo, InputRequired, Length, ValidationError

from forms import rules


class SignInForm(FlaskForm):
    email = EmailField(
        "Email address",
        validators=[InputRequired("Enter your email address"), Length(max=254)],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
    )
    password = PasswordField(
        "Password", validators=[InputRequired("Enter your password"), Length(max=1024)]
    )


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email address", validators=[InputRequired("Enter your email address"), Length(max=254)],
                       filters=[lambda v: v.strip() if isinstance(v, str) else v])


class SetPasswordForm(FlaskForm):
    """The page a set-password or reset link opens: fields password and confirm."""

    password = PasswordField("New password", validators=[InputRequired("Enter a new password")])
    confirm = PasswordField(
        "Confirm the password",
        validators=[InputRequired("Enter the password again"), EqualTo("password", "The passwords do not match")],
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def validate_password(self, field):
        try:
            rules.check_new_password(field.data or "", self.email)
        except rules.RuleError as error:
            raise ValidationError(str(error)) from None
