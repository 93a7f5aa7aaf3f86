"""Pure domain code: no Flask, no SQLAlchemy. Everything here is unit-tested without an app."""
