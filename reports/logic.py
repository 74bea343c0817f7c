"""Filter logic: "1 AND (2 OR NOT 3)" parsed, never evaluated as code.

The grammar, loosest first:
    either := both ("OR" both)*
    both   := negated ("AND" negated)*
    negated:= "NOT" negated | term
    term   := NUMBER | "(" either ")"
Numbers name the report's filters from 1. The result is a tree of tuples: ("filter", n),
("not", x), ("and", [x, ...]), ("or", [x, ...]), which the compiler turns into Q objects.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

TOKEN = re.compile(r"\s*(?:(\d+)|(AND|OR|NOT)\b|(\()|(\))|(\S))", re.IGNORECASE)
MAX_LENGTH = 500


class LogicError(ValueError):
    pass


def _tokens(text: str) -> list[tuple[str, str, int]]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = TOKEN.match(text, pos)
        number, word, opening, closing, other = m.groups()
        at = m.start(m.lastindex)
        if other is not None:
            raise LogicError(
                _('Unexpected "%(text)s" at position %(pos)s: use filter numbers, AND, OR, '
                  "NOT and parentheses.") % {"text": other, "pos": at + 1}
            )  # fmt: skip
        if number is not None:
            out.append(("num", number, at))
        elif word is not None:
            out.append((word.upper(), word, at))
        else:
            out.append(("(" if opening else ")", opening or closing, at))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, tokens, count: int):
        self.tokens, self.i, self.count, self.used = tokens, 0, count, set()

    def peek(self):
        return self.tokens[self.i][0] if self.i < len(self.tokens) else None

    def take(self):
        token = self.tokens[self.i]
        self.i += 1
        return token

    def where(self) -> str:
        if self.i < len(self.tokens):
            return _("at position %(pos)s") % {"pos": self.tokens[self.i][2] + 1}
        return _("at the end")

    def either(self):
        parts = [self.both()]
        while self.peek() == "OR":
            self.take()
            parts.append(self.both())
        return parts[0] if len(parts) == 1 else ("or", parts)

    def both(self):
        parts = [self.negated()]
        while self.peek() == "AND":
            self.take()
            parts.append(self.negated())
        return parts[0] if len(parts) == 1 else ("and", parts)

    def negated(self):
        if self.peek() == "NOT":
            self.take()
            return ("not", self.negated())
        return self.term()

    def term(self):
        kind = self.peek()
        if kind == "num":
            _kind, text, at = self.take()
            n = int(text)
            if not 1 <= n <= self.count:
                raise LogicError(
                    _("Filter %(n)s does not exist (position %(pos)s): there are %(count)s.")
                    % {"n": n, "pos": at + 1, "count": self.count}
                )
            self.used.add(n)
            return ("filter", n)
        if kind == "(":
            _kind, _text, at = self.take()
            inner = self.either()
            if self.peek() != ")":
                raise LogicError(
                    _("The parenthesis opened at position %(pos)s is not closed %(where)s.")
                    % {"pos": at + 1, "where": self.where()}
                )
            self.take()
            return inner
        if kind is None:
            raise LogicError(_("A filter number or a parenthesis is missing at the end."))
        raise LogicError(
            _('Expected a filter number %(where)s, found "%(text)s".')
            % {"where": self.where(), "text": self.tokens[self.i][1]}
        )


def parse(text: str, count: int):
    """The tree of `text` over `count` filters; LogicError says what is wrong and where.
    Every filter must appear: one left out is almost always a mistake."""
    if len(text) > MAX_LENGTH:
        raise LogicError(_("The filter logic is too long."))
    tokens = _tokens(text)
    if not tokens:
        raise LogicError(_("The filter logic is empty."))
    parser = _Parser(tokens, count)
    tree = parser.either()
    if parser.i < len(tokens):
        kind, text_, at = tokens[parser.i]
        if kind == ")":
            raise LogicError(
                _("A closing parenthesis at position %(pos)s has no opening one.") % {"pos": at + 1}
            )
        raise LogicError(
            _('Expected AND or OR at position %(pos)s, found "%(text)s".')
            % {"pos": at + 1, "text": text_}
        )
    missing = sorted(set(range(1, count + 1)) - parser.used)
    if missing:
        raise LogicError(
            _("The filter logic leaves out filter(s) %(n)s.")
            % {"n": ", ".join(str(n) for n in missing)}
        )
    return tree


def default(count: int):
    """No logic written: every filter must hold."""
    return ("and", [("filter", n) for n in range(1, count + 1)])
