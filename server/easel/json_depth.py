"""How deep JSON text nests, found before parsing it: ``json.loads`` recurses once per level and a few
thousand brackets reach Python's recursion limit (a RecursionError, not a ValueError). One pass of a
regular expression skips strings (brackets inside them do not count) and counts the rest.

Shared by the order API's PHP-exact reader and the reader of every other JSON body; each turns the
answer into its own error shape.
"""

from __future__ import annotations

import re

_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|["\[\]{}]', re.DOTALL)


def too_deep_at(text: str, max_depth: int) -> int | None:
    """The offset of the first bracket that opens level ``max_depth + 1``, or None when ``text`` nests no
    deeper (or is malformed in a way the parser will report itself, such as an unterminated string)."""
    if text.count("[") + text.count("{") <= max_depth:
        return None
    depth = 0
    for match in _TOKENS.finditer(text):
        found = match.group()
        if found in ("[", "{"):
            depth += 1
            if depth > max_depth:
                return match.start()
        elif found in ("]", "}"):
            depth -= 1
        elif found == '"':
            return None  # an unterminated string
    return None
