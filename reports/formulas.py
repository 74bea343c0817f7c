"""Formula columns over a group's summaries: "amount__sum / count", "(a - b) * 100 / b".

Parsed into a tree (numbers, summary keys, + - * /, parentheses), evaluated per group in
Decimal; a division by zero or an empty summary gives no value, not an error.
"""

from __future__ import annotations

import re
from decimal import Decimal, DivisionByZero, InvalidOperation

from django.utils.translation import gettext as _

TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d+)?)|([a-z_][a-z0-9_.]*)|([-+*/()]))", re.IGNORECASE)


class FormulaError(ValueError):
    pass


def _tokens(text: str) -> list[str]:
    out, pos, text = [], 0, text.strip()
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if m is None:
            raise FormulaError(_('unexpected "%(c)s"') % {"c": text[pos:].strip()[:1]})
        out.append(next(g for g in m.groups() if g is not None))
        pos = m.end()
    return out


def parse(text: str, keys: set[str]):
    """The tree of `text` whose names are all in `keys` (the report's summaries)."""
    if len(text) > 300:
        raise FormulaError(_("too long"))
    tokens, i = _tokens(text), 0

    def peek():
        return tokens[i] if i < len(tokens) else None

    def take():
        nonlocal i
        i += 1
        return tokens[i - 1]

    def expr():
        node = term()
        while peek() in ("+", "-"):
            node = (take(), node, term())
        return node

    def term():
        node = unary()
        while peek() in ("*", "/"):
            node = (take(), node, unary())
        return node

    def unary():
        if peek() == "-":
            take()
            return ("-", ("num", Decimal(0)), unary())
        return atom()

    def atom():
        tok = peek()
        if tok is None:
            raise FormulaError(_("a value is missing at the end"))
        take()
        if tok == "(":
            node = expr()
            if peek() != ")":
                raise FormulaError(_("a parenthesis is not closed"))
            take()
            return node
        if tok[0].isdigit():
            return ("num", Decimal(tok))
        if tok in "+-*/)":
            raise FormulaError(_('unexpected "%(c)s"') % {"c": tok})
        if tok not in keys:
            raise FormulaError(
                _('"%(name)s" is not a summary of this report (%(all)s)')
                % {"name": tok, "all": ", ".join(sorted(keys))}
            )
        return ("key", tok)

    tree = expr()
    if i < len(tokens):
        raise FormulaError(_('unexpected "%(c)s"') % {"c": tokens[i]})
    return tree


def evaluate(tree, values: dict) -> Decimal | None:
    kind = tree[0]
    if kind == "num":
        return tree[1]
    if kind == "key":
        value = values.get(tree[1])
        return None if value is None else Decimal(str(value))
    left, right = evaluate(tree[1], values), evaluate(tree[2], values)
    if left is None or right is None:
        return None
    try:
        if kind == "+":
            return left + right
        if kind == "-":
            return left - right
        if kind == "*":
            return left * right
        return left / right
    except (DivisionByZero, InvalidOperation):
        return None
