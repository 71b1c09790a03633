"""Label and field selectors with the apiserver's grammar, semantics and error wording.

The label grammar follows ``k8s.io/apimachinery/pkg/labels``: a lexer that treats
``=!(),<>`` and whitespace as separators, a parser in which ``in``/``notin`` are
keywords only where an operator is expected, and requirement validation with the
same messages (kubectl prints them verbatim). Field selectors follow
``k8s.io/apimachinery/pkg/fields``: no whitespace trimming, backslash escapes in
values, terms joined by commas.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final, Literal, TypeAlias

import msgspec

__all__ = [
    "FieldRequirement",
    "FieldSelector",
    "LabelSelector",
    "Requirement",
    "SelectorError",
    "parse_field_selector",
    "parse_label_selector",
    "selector_from_spec",
]

Operator: TypeAlias = Literal["=", "==", "!=", "in", "notin", "exists", "!", "gt", "lt"]


class SelectorError(ValueError):
    """A selector that the apiserver would reject with 400 Bad Request."""


class Requirement(msgspec.Struct, frozen=True):
    """One term of a label selector; ``values`` is sorted and free of duplicates."""

    key: str
    operator: Operator
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """True if ``labels`` satisfy this term (``!=`` and ``notin`` hold when the key is absent)."""
        present = self.key in labels
        match self.operator:
            case "=" | "==" | "in":
                return present and labels[self.key] in self.values
            case "!=" | "notin":
                return not present or labels[self.key] not in self.values
            case "exists":
                return present
            case "!":
                return not present
            case "gt" | "lt":
                if not present or not _INTEGER.fullmatch(labels[self.key]):
                    return False
                have, want = int(labels[self.key]), int(self.values[0])
                return have > want if self.operator == "gt" else have < want

    def __str__(self) -> str:
        match self.operator:
            case "exists":
                return self.key
            case "!":
                return f"!{self.key}"
            case "in" | "notin":
                return f"{self.key} {self.operator} ({','.join(self.values)})"
            case "gt":
                return f"{self.key}>{self.values[0]}"
            case "lt":
                return f"{self.key}<{self.values[0]}"
            case _:
                return f"{self.key}{self.operator}{self.values[0]}"


class LabelSelector(msgspec.Struct, frozen=True):
    """A conjunction of requirements sorted by key; no requirements selects everything."""

    requirements: tuple[Requirement, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """True if every requirement holds for ``labels``."""
        return all(r.matches(labels) for r in self.requirements)

    def __str__(self) -> str:
        """The canonical form, as the apiserver writes it in a Scale's ``status.selector``."""
        return ",".join(str(r) for r in self.requirements)


# --- label validation (k8s.io/apimachinery/pkg/util/validation) -------------------

_INTEGER: Final = re.compile(r"[+-]?[0-9]+")
_NAME_FMT: Final = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_NAME_RE: Final = re.compile(_NAME_FMT)
_VALUE_FMT: Final = f"({_NAME_FMT})?"
_VALUE_RE: Final = re.compile(_VALUE_FMT)
_DNS_SUBDOMAIN_FMT: Final = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
_DNS_SUBDOMAIN_RE: Final = re.compile(_DNS_SUBDOMAIN_FMT)
_CHARSET_MSG: Final = (
    "consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character"
)
_NAME_MSG: Final = "must " + _CHARSET_MSG


def _regex_error(msg: str, fmt: str, *examples: str) -> str:
    # Go's validation.RegexError, double spaces included.
    shown = " or ".join(f"'{e}', " for e in examples)
    return f"{msg} (e.g. {shown}regex used for validation is '{fmt}')"


def _qualified_name_errors(key: str) -> list[str]:
    errors: list[str] = []
    parts = key.split("/")
    if len(parts) > 2:
        return [
            "a qualified name "
            + _regex_error(_NAME_MSG, _NAME_FMT, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    name = parts[-1]
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            errors.append("prefix part must be non-empty")
        else:
            if len(prefix) > 253:
                errors.append("prefix part must be no more than 253 characters")
            if not _DNS_SUBDOMAIN_RE.fullmatch(prefix):
                errors.append(
                    "prefix part "
                    + _regex_error(
                        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
                        "'-' or '.', and must start and end with an alphanumeric character",
                        _DNS_SUBDOMAIN_FMT,
                        "example.com",
                    )
                )
    if not name:
        errors.append("name part must be non-empty")
    elif len(name) > 63:
        errors.append("name part must be no more than 63 characters")
    if not _NAME_RE.fullmatch(name):
        errors.append("name part " + _regex_error(_NAME_MSG, _NAME_FMT, "MyName", "my.name", "123-abc"))
    return errors


def _label_value_errors(value: str) -> list[str]:
    errors: list[str] = []
    if len(value) > 63:
        errors.append("must be no more than 63 characters")
    if not _VALUE_RE.fullmatch(value):
        errors.append(
            _regex_error(
                "a valid label must be an empty string or " + _CHARSET_MSG,
                _VALUE_FMT,
                "MyValue",
                "my_value",
                "12345",
            )
        )
    return errors


def _key_error(key: str) -> str | None:
    errors = _qualified_name_errors(key)
    return f"key: Invalid value: {_quote(key)}: {'; '.join(errors)}" if errors else None


def _quote(value: object) -> str:
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _requirement(key: str, operator: Operator, values: list[str]) -> Requirement:
    """Build a validated requirement (labels.NewRequirement), aggregating every problem."""
    key_error = _key_error(key)
    errors = [key_error] if key_error else []
    shown = "[]string{" + ", ".join(_quote(v) for v in values) + "}"
    invalid = f"values: Invalid value: {shown}: "
    if operator in ("in", "notin") and not values:
        errors.append(invalid + "for 'in', 'notin' operators, values set can't be empty")
    elif operator in ("=", "==", "!=") and len(values) != 1:
        errors.append(invalid + "exact-match compatibility requires one single value")
    elif operator in ("exists", "!") and values:
        errors.append(invalid + "values set must be empty for exists and does not exist")
    elif operator in ("gt", "lt"):
        if len(values) != 1:
            errors.append(invalid + "for 'Gt', 'Lt' operators, exactly one value is required")
        errors.extend(
            f"values[{i}]: Invalid value: {_quote(v)}: for 'Gt', 'Lt' operators, the value must be an integer"
            for i, v in enumerate(values)
            if not _INTEGER.fullmatch(v)
        )
    for i, value in enumerate(values):
        if value_errors := _label_value_errors(value):
            errors.append(f"values[{i}][{key}]: Invalid value: {_quote(value)}: {'; '.join(value_errors)}")
    if errors:
        raise SelectorError(errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]")
    return Requirement(key, operator, tuple(sorted(set(values))))


def _selector(requirements: list[Requirement]) -> LabelSelector:
    return LabelSelector(tuple(sorted(requirements, key=lambda r: r.key)))


# --- label selector parsing (k8s.io/apimachinery/pkg/labels/selector.go) ----------

_ID, _EOS = "identifier", "end of string"
_SPECIAL: Final = frozenset("=!(),<>")
_WHITESPACE: Final = frozenset(" \t\r\n")
_KEYWORDS: Final = frozenset({"in", "notin"})
_OPERATORS: Final[dict[str, Operator]] = {
    "=": "=", "==": "==", "!=": "!=", "in": "in", "notin": "notin", ">": "gt", "<": "lt",
}  # fmt: skip
_BINARY_OPERATORS: Final = "in, notin, =, ==, !=, gt, lt"


def _lex(text: str) -> list[tuple[str, str]]:
    """Split into (token, literal) pairs; a token is a symbol, a keyword, _ID or _EOS."""
    items: list[tuple[str, str]] = []
    pos, end = 0, len(text)
    while True:
        while pos < end and text[pos] in _WHITESPACE:
            pos += 1
        if pos == end:
            items.append((_EOS, ""))
            return items
        if text[pos] in _SPECIAL:
            # Every special character is a token alone; "!=" and "==" are the only pairs.
            width = 2 if text[pos : pos + 2] in ("!=", "==") else 1
            symbol = text[pos : pos + width]
            items.append((symbol, symbol))
            pos += width
            continue
        start = pos
        while pos < end and text[pos] not in _SPECIAL and text[pos] not in _WHITESPACE:
            pos += 1
        word = text[start:pos]
        items.append((word if word in _KEYWORDS else _ID, word))


class _LabelParser:
    """Recursive descent over the token list; ``values`` context reads keywords as identifiers."""

    def __init__(self, text: str) -> None:
        self._items = _lex(text)
        self._pos = 0

    def _peek(self, values: bool = True) -> tuple[str, str]:
        token, literal = self._items[self._pos]
        return (_ID if values and token in _KEYWORDS else token), literal

    def _take(self, values: bool = True) -> tuple[str, str]:
        item = self._peek(values)
        self._pos += 1
        return item

    def parse(self) -> LabelSelector:
        requirements: list[Requirement] = []
        while True:
            token, literal = self._peek()
            if token == _EOS:
                return _selector(requirements)
            if token not in (_ID, "!"):
                raise SelectorError(f"found '{literal}', expected: !, identifier, or 'end of string'")
            try:
                requirements.append(self._requirement())
            except SelectorError as exc:
                raise SelectorError(f"unable to parse requirement: {exc}") from None
            token, literal = self._take()
            if token == _EOS:
                return _selector(requirements)
            if token != ",":
                raise SelectorError(f"found '{literal}', expected: ',' or 'end of string'")
            token, literal = self._peek()
            if token not in (_ID, "!"):
                raise SelectorError(f"found '{literal}', expected: identifier after ','")

    def _requirement(self) -> Requirement:
        negated = self._peek()[0] == "!"
        if negated:
            self._take()
        token, key = self._take()
        if token != _ID:
            raise SelectorError(f"found '{key}', expected: identifier")
        if key_error := _key_error(key):
            raise SelectorError(key_error)
        if self._peek()[0] in (_EOS, ","):
            return _requirement(key, "!" if negated else "exists", [])
        if negated:
            raise SelectorError(f"found '{key}', expected: ',' or 'end of string'")
        token, literal = self._take(values=False)
        operator = _OPERATORS.get(token)
        if operator is None:
            raise SelectorError(f"found '{literal}', expected: {_BINARY_OPERATORS}")
        values = self._value_set() if operator in ("in", "notin") else self._exact_value()
        return _requirement(key, operator, values)

    def _exact_value(self) -> list[str]:
        if self._peek()[0] in (_EOS, ","):
            return [""]
        token, literal = self._take()
        if token != _ID:
            raise SelectorError(f"found '{literal}', expected: identifier")
        return [literal]

    def _value_set(self) -> list[str]:
        token, literal = self._take()
        if token != "(":
            raise SelectorError(f"found '{literal}', expected: '('")
        token, literal = self._peek()
        if token == ")":
            self._take()
            return [""]
        if token not in (_ID, ","):
            raise SelectorError(f"found '{literal}', expected: ',', ')' or identifier")
        values: list[str] = []
        while True:
            token, literal = self._take()
            if token == _ID:
                values.append(literal)
                follow, follow_literal = self._peek()
                if follow == ")":
                    break
                if follow != ",":
                    raise SelectorError(f"found '{follow_literal}', expected: ',' or ')'")
            elif token == ",":
                # "(,a", "a,,b" and "a,)" each contribute an empty value.
                if not values:
                    values.append("")
                follow = self._peek()[0]
                if follow == ")":
                    values.append("")
                    break
                if follow == ",":
                    self._take()
                    values.append("")
            else:
                raise SelectorError(f"found '{literal}', expected: ',', or identifier")
        self._take()  # the closing parenthesis seen above
        return values


def parse_label_selector(text: str) -> LabelSelector:
    """Parse a ``labelSelector`` query value; raise SelectorError as the apiserver would reject it."""
    return _LabelParser(text).parse()


_SPEC_OPERATORS: Final[dict[str, Operator]] = {
    "In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!",
}  # fmt: skip


def selector_from_spec(selector: Mapping[str, Any]) -> LabelSelector:
    """Convert a ``LabelSelector`` object, or a plain label map such as a Service's ``spec.selector``.

    An empty selector of either shape selects everything, as in the apiserver.
    """
    structured = any(
        key in ("matchLabels", "matchExpressions") and not isinstance(value, str)
        for key, value in selector.items()
    )
    match_labels: Mapping[str, Any] = (selector.get("matchLabels") or {}) if structured else selector
    requirements = [_requirement(key, "=", [_label(value)]) for key, value in match_labels.items()]
    for expression in (selector.get("matchExpressions") or []) if structured else []:
        if not isinstance(expression, Mapping):
            raise SelectorError(f"invalid label selector requirement: {expression!r}")
        operator = _SPEC_OPERATORS.get(expression.get("operator", ""))
        if operator is None:
            raise SelectorError(f'"{expression.get("operator", "")}" is not a valid label selector operator')
        values = [_label(v) for v in expression.get("values") or []]
        requirements.append(_requirement(str(expression.get("key", "")), operator, values))
    return _selector(requirements)


def _label(value: object) -> str:
    if not isinstance(value, str):
        raise SelectorError(f"label values must be strings, got {value!r}")
    return value


# --- field selectors (k8s.io/apimachinery/pkg/fields/selector.go) ----------------

# Fields backed by a Go bool: absent in JSON, "false" to the apiserver's field set.
_FIELD_DEFAULTS: Final[Mapping[str, str]] = {"spec.unschedulable": "false"}


class FieldRequirement(msgspec.Struct, frozen=True):
    """``field=value`` (``equal`` true) or ``field!=value``."""

    field: str
    value: str
    equal: bool = True


class FieldSelector(msgspec.Struct, frozen=True):
    """A conjunction of field terms; no terms selects everything."""

    requirements: tuple[FieldRequirement, ...] = ()

    def keys(self) -> set[str]:
        """The field names used, so the caller can refuse those a kind does not index."""
        return {r.field for r in self.requirements}

    def matches(self, obj: Mapping[str, Any]) -> bool:
        """True if every term holds; absent fields read as "" and booleans as "true"/"false"."""
        return all((_field_text(obj, r.field) == r.value) == r.equal for r in self.requirements)


def _field_text(obj: Mapping[str, Any], field: str) -> str:
    node: Any = obj
    for part in field.split("."):
        if not isinstance(node, Mapping) or node.get(part) is None:
            return _FIELD_DEFAULTS.get(field, "")
        node = node[part]
    if isinstance(node, bool):
        return "true" if node else "false"
    return str(node) if isinstance(node, str | int | float) else ""


def _split_terms(text: str) -> list[str]:
    """Split on commas not escaped by a backslash, keeping the escapes."""
    terms, start, escaped = [], 0, False
    for i, ch in enumerate(text):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == ",":
            terms.append(text[start:i])
            start = i + 1
    terms.append(text[start:])
    return terms


def _unescape(value: str) -> str:
    out: list[str] = []
    escaped = False
    for ch in value:
        if escaped:
            if ch not in "\\,=":
                raise SelectorError(f"invalid field selector: invalid escape sequence: \\{ch}")
            out.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch in ",=":
            raise SelectorError(f"invalid field selector: unescaped character in value: {ch}")
        else:
            out.append(ch)
    if escaped:
        raise SelectorError("invalid field selector: invalid escape sequence: \\")
    return "".join(out)


_TERM: Final = re.compile(r"(.*?)(!=|==|=)(.*)", re.DOTALL)


def parse_field_selector(text: str) -> FieldSelector:
    """Parse a ``fieldSelector`` query value (``=``, ``==``, ``!=``; comma means AND)."""
    requirements: list[FieldRequirement] = []
    for term in sorted(_split_terms(text)) if text else []:
        if not term:
            continue
        # The first operator wins: keys cannot be escaped, values can.
        found = _TERM.fullmatch(term)
        if found is None:
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{term}'")
        field, operator, value = found.groups()
        requirements.append(FieldRequirement(field, _unescape(value), equal=operator != "!="))
    return FieldSelector(tuple(requirements))
