"""Sec-WebSocket-Extensions (RFC 6455 §9.1): the one parser of the header's grammar.

``extension-list = 1#extension``, ``extension = token *( ";" param )``, ``param = token [ "="
(token | quoted-string) ]``, with RFC 7230 §7 list rules (empty elements allowed).  The
handshake validator and permessage-deflate's negotiation both read offers and answers through
:func:`parse_extensions`; a malformed value is an :class:`ExtensionError` naming its column.
"""

from __future__ import annotations

import re

from .rules import Rule
from .spec import HTTP_TOKEN

_T = HTTP_TOKEN
_TOKEN = re.compile(_T)
_EMPTY = re.compile(r"[ \t,]*")
_NAME = re.compile(rf"({_T})")
_PARAM = re.compile(rf'[ \t]*;[ \t]*({_T})(?:[ \t]*=[ \t]*(?:({_T})|"((?:[^"\\]|\\.)*)"))?')
_END = re.compile(r"[ \t]*(?:,|\Z)")


class ExtensionError(ValueError):
    """A Sec-WebSocket-Extensions value that is malformed or breaks an extension's negotiation."""

    rule = Rule.HANDSHAKE_EXTENSION


Extension = tuple[str, list[tuple[str, "str | None"]]]


def parse_extensions(value: str) -> list[Extension]:
    """Parse a Sec-WebSocket-Extensions value (RFC 6455 §9.1) into (name, [(param, value)])."""
    result: list[Extension] = []
    pos = 0
    while True:
        pos = _EMPTY.match(value, pos).end()  # type: ignore[union-attr]  # RFC 7230 §7
        if pos == len(value):
            return result
        m = _NAME.match(value, pos)
        if m is None:
            raise _syntax(value, pos, "an extension name")
        name, params, pos = m[1], [], m.end()
        while m := _PARAM.match(value, pos):
            arg = m[2] if m[3] is None else re.sub(r"\\(.)", r"\1", m[3])
            if arg is not None and not _TOKEN.fullmatch(arg):  # §9.1: unquoted must be a token
                raise ExtensionError(
                    f"quoted value {arg!r} at column {m.start(3) - 1} is not a token"
                )
            params.append((m[1], arg))
            pos = m.end()
        if not _END.match(value, pos):
            pos = _skip(value, pos)
            if value[pos] == ";":
                raise _syntax(value, pos + 1, "a parameter name after ';'")
            if value[pos] == "=" and params and params[-1][1] is None:
                pos = _skip(value, pos + 1)
                if value[pos : pos + 1] == '"':
                    raise ExtensionError(f"unterminated quoted string at column {pos}")
                raise _syntax(value, pos, "a token or quoted value after '='")
            raise _syntax(value, pos, "',' or ';'")
        result.append((name, params))


def _skip(value: str, pos: int) -> int:
    return len(value) - len(value[pos:].lstrip(" \t"))


def _syntax(value: str, pos: int, expected: str) -> ExtensionError:
    pos = _skip(value, pos)
    got = repr(value[pos]) if pos < len(value) else "end of header"
    return ExtensionError(f"{expected} expected at column {pos}, got {got}")


def extension_names(value: str) -> list[str]:
    """The extension names of a header value, lower-cased; ExtensionError when malformed."""
    return [name.lower() for name, _ in parse_extensions(value)]
