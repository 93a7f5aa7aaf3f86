"""The forms of the certificate pages: the holder check and revocation."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from ...domain import idnumber


def _id_number(_form: FlaskForm, field: StringField) -> None:
    field.data = "".join(str(field.data or "").split())
    if not idnumber.is_valid(field.data):
        raise ValidationError(_("Type the 12-digit ID number printed on the citizen identity card."))


class HolderCheckForm(FlaskForm):
    number = StringField(_l("Certificate number"), validators=[
        DataRequired(_l("Please type the certificate number.")), Length(max=60)])
    id_number = StringField(_l("ID number of the holder"), validators=[
        DataRequired(_l("Type the 12-digit ID number printed on the citizen identity card.")), _id_number])


class RevokeForm(FlaskForm):
    reason = TextAreaField(_l("Reason for revoking"), validators=[
        DataRequired(_l("Please give the reason for revoking.")), Length(max=1000)])
