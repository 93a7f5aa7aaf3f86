"""Accounts in the browser: register, log in and out, the profile, and VNeID verification and login."""
from . import identity_login, profile  # noqa: F401  (their routes join the blueprint)
from .views import bp

__all__ = ["bp"]
