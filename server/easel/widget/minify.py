"""A deliberately small minifier for the widget's own hand-written JS and CSS, run once at serve time.

It is not a general-purpose minifier and renames nothing. JavaScript is read token by token (strings,
template literals, regular expressions and comments are recognised, so their insides are never
touched); comments go, blanks between tokens go unless two words or ``+ +`` / ``- -`` would merge, and
line breaks stay except after tokens that cannot end a statement or before tokens that cannot start
one, so automatic semicolon insertion sees the same program. CSS loses comments and the blanks around
``{ } ; , >`` and after ``:`` in declarations (never before ``:``, which would change a selector).
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[\w$\\\u0080-\uffff]")
_WORD_RUN = re.compile(r"[\w$\\\u0080-\uffff.]+")
_REGEX_AFTER_WORDS = frozenset({"return", "typeof", "case", "do", "else", "in", "of", "new", "delete", "void",
                                "throw", "instanceof", "yield", "await"})
_JOIN_AFTER = set("{([,;:=&|?!<>*%~^")
_JOIN_BEFORE = set("})],;.?:=&|*%<>")


def _string_end(source: str, start: int) -> int:
    quote, i = source[start], start + 1
    while i < len(source):
        ch = source[i]
        if ch == "\\":
            i += 2
            continue
        if ch == quote:
            return i + 1
        if ch == "\n" and quote != "`":
            raise ValueError(f"unterminated string at offset {start}")
        i += 1
    raise ValueError(f"unterminated string at offset {start}")


def _regex_end(source: str, start: int) -> int:
    i, in_class = start + 1, False
    while i < len(source):
        ch = source[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "\n":
            raise ValueError(f"unterminated regular expression at offset {start}")
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "/":
            i += 1
            while i < len(source) and _WORD.match(source[i]):
                i += 1
            return i
        i += 1
    raise ValueError(f"unterminated regular expression at offset {start}")


def minify_js(source: str) -> str:
    out: list[str] = []
    last_word = ""
    space = newline = False
    i = 0
    while i < len(source):
        ch = source[i]
        if ch in " \t\r\f\v":
            space, i = True, i + 1
            continue
        if ch == "\n":
            newline, i = True, i + 1
            continue
        if source.startswith("//", i):
            end = source.find("\n", i)
            i = len(source) if end < 0 else end
            continue
        if source.startswith("/*", i):
            end = source.find("*/", i + 2)
            if end < 0:
                raise ValueError(f"unterminated comment at offset {i}")
            space, i = True, end + 2
            continue
        prev = out[-1][-1] if out else ""
        if ch in "'\"`":
            end = _string_end(source, i)
        elif ch == "/" and (not prev or prev in "(,=:[!&|?{};+-*%<>~^" or last_word in _REGEX_AFTER_WORDS):
            end = _regex_end(source, i)
        elif _WORD.match(ch):
            match = _WORD_RUN.match(source, i)
            assert match
            end = match.end()
        else:
            end = i + 1
        token = source[i:end]
        if out:
            if newline and prev not in _JOIN_AFTER and token[0] not in _JOIN_BEFORE:
                out.append("\n")
            elif (space or newline) and ((_WORD.match(prev) and _WORD.match(token[0]))
                                         or (prev == token[0] and prev in "+-")):
                out.append(" ")
        out.append(token)
        last_word = token if _WORD.match(token[0]) else ""
        space = newline = False
        i = end
    return "".join(out) + "\n"


def minify_css(source: str) -> str:
    text = re.sub(r"/\*.*?\*/", "", source, flags=re.S)
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\s*([{};,>])\s*", r"\1", text)
    text = re.sub(r"([^\s]):\s+", r"\1:", text)
    return text.replace(";}", "}").strip() + "\n"
