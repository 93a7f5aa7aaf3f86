"""JSON for documents a verifier is handed: refuse what different parsers read differently, and what would
exhaust the parser.

- A duplicate key (`{"name": "A", "name": "B"}`) is refused: Python keeps the last value, other parsers the
  first, so a signature checked by one tool could vouch for a name another tool shows.
- Nesting deeper than `MAX_DEPTH` is refused before parsing (Python's parser recurses and raises
  RecursionError on about a thousand levels; a credential needs fewer than ten).
- `NaN`, `Infinity` and `-Infinity` are refused: they are not JSON.
"""
from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 64
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")


class Refused(ValueError):
    """The text is not acceptable JSON; the message says exactly why."""


def depth(text: str) -> int:
    """The deepest nesting of arrays and objects in `text` (brackets inside strings do not count)."""
    level = deepest = 0
    for match in _BRACKETS.finditer(_STRINGS.sub("", text)):
        if match.group() in "[{":
            level += 1
            deepest = max(deepest, level)
        else:
            level -= 1
    return deepest


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise Refused(f"duplicate key {key!r}")
        result[key] = value
    return result


def _constant(name: str) -> Any:
    raise Refused(f"{name} is not a JSON number")


def loads(data: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """Parse `data` (UTF-8 bytes or text); raises Refused with the reason."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as err:
            raise Refused("not UTF-8 text") from err
    deepest = depth(data)
    if deepest > max_depth:
        raise Refused(f"nested too deeply ({deepest} levels, at most {max_depth})")
    try:
        return json.loads(data, object_pairs_hook=_pairs, parse_constant=_constant)
    except Refused:
        raise
    except (ValueError, RecursionError) as err:
        raise Refused(f"not JSON ({err})") from err
