"""The stub's two forms (Flask-WTF, CSRF on): login with ID number and passcode, then consent."""
from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Regexp, ValidationError

from ..domain import idnumber


def _valid_structure(_form: Any, field: Any) -> None:
    """A 12-digit number whose province code exists (the registry is not consulted here); the length
    itself is the Regexp's message."""
    if field.data and idnumber.problems(field.data) not in ([], ["format"]):
        raise ValidationError("Số định danh cá nhân không hợp lệ. Vui lòng kiểm tra lại 12 chữ số.")


class LoginForm(FlaskForm):
    id_number = StringField(
        "Số định danh cá nhân",
        filters=[lambda v: v.strip().replace(" ", "") if isinstance(v, str) else v],
        validators=[DataRequired("Vui lòng nhập số định danh cá nhân."),
                    Regexp(r"^\d{12}$", message="Số định danh cá nhân gồm đúng 12 chữ số."),
                    _valid_structure])
    passcode = PasswordField(
        "Mật mã (passcode)",
        validators=[DataRequired("Vui lòng nhập mật mã."),
                    Regexp(r"^\d{6}$", message="Mật mã gồm đúng 6 chữ số.")])
    login = SubmitField("Đăng nhập")
    cancel = SubmitField("Hủy")


class ConsentForm(FlaskForm):
    allow = SubmitField("Đồng ý")
    deny = SubmitField("Từ chối")
