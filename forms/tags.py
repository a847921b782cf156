"""Tag forms: the /tags editor, and the name typed on a customer's page."""

from flask_wtf import FlaskForm
from wtforms import RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from extensions import db
from forms import rules
from forms.customer import Rule, text_rule
from keys import tag_key
from models import Tag
from models.tag import COLORS, DESCRIPTION_MAX, NAME_MAX, PALETTE
from tenancy import scoped

KEY_MAX = 255  # Tag.name_key: a few characters fold into several


def _tag_name(_form, value: str) -> str:
    name = rules.clean_text(value, label="Tag name", max_length=NAME_MAX, required=True,
                            required_message="Enter a name for the tag")
    if len(tag_key(name)) > KEY_MAX:
        raise rules.RuleError(f"Tag name must be {NAME_MAX} characters or fewer")
    return name


class PaletteField(RadioField):
    """A color of the fixed palette, with a message in our words."""

    def pre_validate(self, form):
        if self.data not in COLORS:
            raise ValidationError("Choose a color for the tag")


class TagForm(FlaskForm):
    """Create or edit one of the partner's tags."""

    name = StringField("Name", validators=[Rule(_tag_name)])
    color = PaletteField("Color", choices=[SelectChoice(value, label) for value, label in PALETTE], default=COLORS[1])
    description = StringField(
        "Description", validators=[text_rule("Description", DESCRIPTION_MAX, required=False)]
    )

    def __init__(self, *args, partner_id: int, tag_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.partner_id = partner_id
        self.tag_id = tag_id  # the tag being edited, if any

    def validate_name(self, field):
        if field.errors or not field.data:
            return
        query = scoped(Tag, self.partner_id).where(Tag.name_key == tag_key(field.data))
        if self.tag_id is not None:
            query = query.where(Tag.id != self.tag_id)
        existing = db.session.scalar(query)
        if existing is not None:
            raise ValidationError(f"You already have a tag called {existing.name}")


class ApplyTagForm(FlaskForm):
    """A tag typed on a customer's page (a suggestion chosen posts its tag_id instead).
    Made with prefix="tag" (field "tag-name"): the page holds other forms too."""

    class Meta:
        csrf = False  # CSRFProtect checks every POST; the page posts its token as csrf_token

    name = StringField("Add a tag", validators=[Rule(_tag_name)])
