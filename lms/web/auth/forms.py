"""Registration and login forms; every message is translated and shown next to its field."""
from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from ..forms import Form as FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField, TelField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from ...domain import passwords
from ...domain.framework import framework
from ...services.accounts import normalize_phone
from ...services.units import Places

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
GUESSABLE = _l("This password is too easy to guess. Use a short sentence of several words that only you know, "
               "for example “bà thích trồng hoa hồng đỏ”, and not your name, phone number or e-mail.")


def _new_password() -> list[Any]:
    return [DataRequired(_l("Please choose a password.")),
            Length(8, 128, _l("The password must have at least 8 characters."))]


def _check_guessable(field: PasswordField, *personal: str | None) -> None:
    """Refuse common and guessable passwords (lms.domain.passwords) with one plain explanation."""
    if field.data and len(field.data) >= passwords.MIN_LENGTH and passwords.is_guessable(field.data, *personal):
        raise ValidationError(GUESSABLE)


def _group_choices() -> list[tuple[int, str]]:
    from flask_babel import get_locale

    locale = str(get_locale())
    return [(int(g.code), g.name(locale)) for g in framework().target_groups]


def _fill_choices(form: Any) -> None:
    form.target_group.choices = [(0, _l("— choose —"))] + _group_choices()


class ProvinceStepForm(FlaskForm):
    """The first step of choosing a place, sent with GET (nothing is written, no CSRF token): the province,
    whose communes the next page lists. So no page ever carries all 3,321 communes."""

    class Meta:
        csrf = False

    province = SelectField(_l("Province or city"), validate_choice=False)

    def set_places(self, places: Places) -> None:
        self.province.choices = [("", _l("— choose —"))] + places.provinces
        self.province.data = places.province or ""


class PlaceMixin:
    """The place on a form that writes (POST): the province chosen in the step before (a hidden field) and
    one of its communes in force. `set_places` must be called with the choices before validating."""

    province = HiddenField(_l("Province or city"))
    commune = SelectField(_l("Commune or ward"), validate_choice=False)
    places: Places

    def set_places(self, places: Places) -> None:
        self.places = places
        self.commune.choices = [("", _l("— choose —"))] + places.communes  # type: ignore[attr-defined]

    def validate_province(self, field: HiddenField) -> None:
        if not field.data:
            raise ValidationError(_l("Please choose your province."))
        if field.data not in dict(self.places.provinces):
            raise ValidationError(_l("Please choose your province from the list."))

    def validate_commune(self, field: SelectField) -> None:
        if self.places.province is None:
            return  # the province's own error says what to do
        if not field.data:
            raise ValidationError(_l("Please choose your commune or ward."))
        if field.data in self.places.retired:
            raise ValidationError(_l("This commune or ward no longer exists: it was merged into another one. "
                                     "Please choose again."))
        if field.data not in dict(self.places.communes):
            raise ValidationError(_l("This commune is not in the province you chose."))


class RegisterForm(PlaceMixin, FlaskForm):
    full_name = StringField(_l("Full name"), validators=[
        DataRequired(_l("Please enter your full name.")),
        Length(2, 120, _l("The name must be between 2 and 120 characters."))])
    email = EmailField(_l("E-mail"), validators=[Optional(), Length(max=254, message=_l("The e-mail address is too long."))])
    # No Optional() on phone and commune: it would skip their validate_* methods, which handle empty values.
    phone = TelField(_l("Mobile phone number"))
    password = PasswordField(_l("Password"), validators=_new_password())
    confirm = PasswordField(_l("Repeat the password"), validators=[
        DataRequired(_l("Please type the password again.")),
        EqualTo("password", _l("The two passwords are not the same."))])
    target_group = SelectField(_l("You are"), coerce=int, validators=[DataRequired(_l("Please choose a group."))])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _fill_choices(self)

    def validate_password(self, field: PasswordField) -> None:
        _check_guessable(field, self.full_name.data, self.email.data, self.phone.data)

    def validate_email(self, field: EmailField) -> None:
        if field.data and not _EMAIL.match(field.data.strip()):
            raise ValidationError(_l("This does not look like an e-mail address, e.g. ten@example.vn."))

    def validate_phone(self, field: TelField) -> None:
        if field.data and normalize_phone(field.data) is None:
            raise ValidationError(_l("Enter a Vietnamese mobile number of 10 digits, e.g. 0912345678."))
        if not field.data and not self.email.data:
            raise ValidationError(_l("Enter an e-mail address or a phone number (or both)."))



class LoginForm(FlaskForm):
    login = StringField(_l("E-mail or phone number"), validators=[DataRequired(_l("Please enter your e-mail or phone number."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Please enter your password."))])
    remember = BooleanField(_l("Keep me logged in on this device"))


class VneidAccountForm(PlaceMixin, FlaskForm):
    """The short form after a first "Log in with VNeID": what VNeID does not tell us. The place comes from the
    verified residence; the view removes `province` and `commune` when that residence is in our list."""

    target_group = SelectField(_l("You are"), coerce=int,
                               validators=[DataRequired(_l("Please choose a group."))])
    email = EmailField(_l("E-mail (optional)"), validators=[Optional(), Length(max=254)])
    phone = TelField(_l("Mobile phone number (optional)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _fill_choices(self)

    def validate_email(self, field: EmailField) -> None:
        RegisterForm.validate_email(self, field)  # type: ignore[arg-type]

    def validate_phone(self, field: TelField) -> None:
        if field.data and normalize_phone(field.data) is None:
            raise ValidationError(_l("Enter a Vietnamese mobile number of 10 digits, e.g. 0912345678."))


class PlaceForm(PlaceMixin, FlaskForm):
    """Change the place on the profile (province chosen in the step before, then its commune)."""


class SetPasswordForm(FlaskForm):
    """A new password: the first one of an account made through VNeID, or one set after verifying again with
    VNeID (forgotten password). `personal` = the account's name, e-mail and phone, which it must not be made of."""

    password = PasswordField(_l("New password"), validators=_new_password())
    confirm = PasswordField(_l("Repeat the password"), validators=[
        DataRequired(_l("Please type the password again.")),
        EqualTo("password", _l("The two passwords are not the same."))])

    def __init__(self, *args: Any, personal: tuple[str | None, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.personal = personal

    def validate_password(self, field: PasswordField) -> None:
        _check_guessable(field, *self.personal)


class ChangePasswordForm(SetPasswordForm):
    """Change the password on the profile: the current one first."""

    current = PasswordField(_l("Current password"), validators=[
        DataRequired(_l("Please enter your current password."))])
