"""The base form: WTForms' own messages ("Not a valid choice." …) go through our Flask-Babel catalog, because
WTForms ships no Vietnamese translation; and every text field of every form is NFC-normalised and refuses
control and invisible characters (lms.domain.textnorm.clean_text)."""
from __future__ import annotations

from typing import Any, Callable

from flask_babel import get_translations
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, TextAreaField
from wtforms.fields.core import UnboundField

from ..domain.textnorm import UnsafeText, clean_text


class _CatalogTranslations:
    """WTForms' translations protocol backed by the app's catalog (no formatting: WTForms formats itself)."""

    def gettext(self, string: str) -> str:
        return str(get_translations().ugettext(string))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return str(get_translations().ungettext(singular, plural, n))


_TRANSLATIONS = _CatalogTranslations()


def _text_filter(multiline: bool) -> Callable[[Any], Any]:
    """A WTForms filter: a ValueError raised here becomes the field's error message."""
    def clean(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return clean_text(value, multiline=multiline)
        except UnsafeText:
            raise ValueError(_("This text contains invisible or control characters. Please type it again.")) \
                from None
    return clean


class Form(FlaskForm):
    class Meta(FlaskForm.Meta):
        def get_translations(self, form: Any) -> _CatalogTranslations:
            return _TRANSLATIONS

        def bind_field(self, form: Any, unbound_field: UnboundField, options: dict[str, Any]) -> Any:
            """Every StringField (e-mail, phone, search… but not passwords, hashed as typed) and TextAreaField
            gets the text filter first."""
            cls = unbound_field.field_class
            if issubclass(cls, StringField) and not issubclass(cls, PasswordField):
                filters = [_text_filter(issubclass(cls, TextAreaField)),
                           *unbound_field.kwargs.get("filters", ())]
                unbound_field = UnboundField(cls, *unbound_field.args,
                                             **{**unbound_field.kwargs, "filters": filters})
            return super().bind_field(form, unbound_field, options)


def _messages_for_extraction() -> None:  # pragma: no cover - never called; lists WTForms' messages for pybabel
    from flask_babel import gettext as _, ngettext

    _("This field is required.")
    _("Invalid input.")
    _("Not a valid choice.")
    _("Invalid Choice: could not coerce.")
    _("Choices cannot be None.")
    _("Not a valid integer value.")
    _("Invalid email address.")
    _("Field must be equal to %(other_name)s.")
    ngettext("Field cannot be longer than %(max)d character.", "Field cannot be longer than %(max)d characters.", 1)
    ngettext("Field must be at least %(min)d character long.", "Field must be at least %(min)d characters long.", 1)
    _("Field must be between %(min)d and %(max)d characters long.")
