"""The base form: WTForms' own messages ("Not a valid choice." …) go through our Flask-Babel catalog, because
WTForms ships no Vietnamese translation."""
from __future__ import annotations

from typing import Any

from flask_babel import get_translations
from flask_wtf import FlaskForm


class _CatalogTranslations:
    """WTForms' translations protocol backed by the app's catalog (no formatting: WTForms formats itself)."""

    def gettext(self, string: str) -> str:
        return str(get_translations().ugettext(string))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return str(get_translations().ungettext(singular, plural, n))


_TRANSLATIONS = _CatalogTranslations()


class Form(FlaskForm):
    class Meta(FlaskForm.Meta):
        def get_translations(self, form: Any) -> _CatalogTranslations:
            return _TRANSLATIONS


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
