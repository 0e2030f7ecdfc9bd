"""`filterQuery`: the SQL-like filter of the list endpoints, as the real server reads it.

    expression := and ("OR" and)*
    and        := term ("AND" term)*
    term       := "(" expression ")" | property operator value
    property   := ident ("." ident)* | `escaped name`
    operator   := = | != | <> | > | >= | < | <= | LIKE | ILIKE | IN
    value      := 'text' | "text" | integer | decimal | true | false | "(" value, ... ")"

Keywords ignore case; `--` comments to the end of the line. A property is one of the entity's
own fields (name, state, externalId, ...) or else a custom property (or another stored field,
such as description) of that name. A custom property is compared by the literal's type: a
string with string values, a decimal with double values, an integer with integer or double
values, true/false with booleans; `accuracy.double_value > 0.9` names the type explicitly.
Entities without the property, or with a value of another type, do not match.
"""

from __future__ import annotations

import json
import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, false, func, or_

from jukebox_workshop.local.registry_server.errors import BadRequest
from jukebox_workshop.local.registry_server.schemas import INT64, INTEGER

STRING, INT, DOUBLE, BOOL = "string_value", "int_value", "double_value", "bool_value"
VALUE_TYPES = (STRING, INT, DOUBLE, BOOL)
METADATA_TYPES = {
    STRING: "MetadataStringValue",
    INT: "MetadataIntValue",
    DOUBLE: "MetadataDoubleValue",
    BOOL: "MetadataBoolValue",
}
# How the SQL function `registry_value` reads a stored document (see `property_value`).
PLAIN, CUSTOM, DECLARED = 0, 1, 2

TOKEN = re.compile(
    r"(?P<space>[\t\n\f\r ]+)"
    r"|(?P<comment>--[^\r\n]*)"
    r"|(?P<ident>[a-zA-Z_][a-zA-Z0-9_]*)"
    r"|(?P<float>[-+]?[0-9]*\.[0-9]+(?:[eE][-+]?[0-9]+)?|[-+]?[0-9]+[eE][-+]?[0-9]+)"
    r"|(?P<int>[-+]?[0-9]+)"
    r"|(?P<string>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"
    r"|(?P<escaped>`(?:[^`\\]|\\.)*`)"
    r"|(?P<op>>=|<=|!=|<>|=|>|<)"
    r"|(?P<punct>[().,])"
)
KEYWORD_OPERATORS = ("LIKE", "ILIKE", "IN")
COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<>": operator.ne,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


# The syntax tree


@dataclass(frozen=True)
class Comparison:
    name: str
    value_type: str | None  # from a `.double_value`-style suffix
    operator: str
    value: Any  # str, int, float, bool or a list of those


@dataclass(frozen=True)
class Logical:
    operator: str  # AND or OR
    left: Expression
    right: Expression


Expression = Comparison | Logical


@dataclass
class Token:
    kind: str
    text: str
    position: int

    def keyword(self, *words: str) -> bool:
        return self.kind == "ident" and self.text.upper() in words


def tokenize(query: str) -> list[Token]:
    tokens, position = [], 0
    while position < len(query):
        match = TOKEN.match(query, position)
        if match is None:
            raise syntax_error(f"unexpected character {query[position]!r}", position)
        kind = match.lastgroup or ""
        if kind not in ("space", "comment"):
            tokens.append(Token(kind, match.group(), position))
        position = match.end()
    tokens.append(Token("end", "", len(query)))
    return tokens


def syntax_error(problem: str, position: int) -> BadRequest:
    return BadRequest(f"invalid filter query syntax at position {position}: {problem}")


class Parser:
    def __init__(self, query: str) -> None:
        self.tokens = tokenize(query)
        self.index = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def take(self) -> Token:
        token = self.token
        self.index += 1
        return token

    def expect(self, text: str) -> None:
        if self.token.text != text:
            raise self.unexpected(f"{text!r}")
        self.take()

    def unexpected(self, wanted: str) -> BadRequest:
        found = repr(self.token.text) if self.token.kind != "end" else "the end of the query"
        hint = ""
        if wanted == "a value":
            hint = ". Strings must be quoted (name = 'value'); numbers and true/false must not"
        return syntax_error(f"expected {wanted}, found {found}{hint}", self.token.position)

    def parse(self) -> Expression:
        expression = self.expression()
        if self.token.kind != "end":
            raise self.unexpected("AND, OR or the end of the query")
        return expression

    def expression(self) -> Expression:
        left = self.conjunction()
        while self.token.keyword("OR"):
            self.take()
            left = Logical("OR", left, self.conjunction())
        return left

    def conjunction(self) -> Expression:
        left = self.term()
        while self.token.keyword("AND"):
            self.take()
            left = Logical("AND", left, self.term())
        return left

    def term(self) -> Expression:
        if self.token.text == "(" and self.token.kind == "punct":
            self.take()
            expression = self.expression()
            self.expect(")")
            return expression
        name = self.property_name()
        if self.token.kind == "op":
            op = self.take().text
        elif self.token.keyword(*KEYWORD_OPERATORS):
            op = self.take().text.upper()
        else:
            raise self.unexpected("an operator (=, !=, <, >, LIKE, ILIKE, IN, ...)")
        value = self.value_list() if self.token.text == "(" else self.single_value()
        if isinstance(value, list) and op != "IN":
            raise syntax_error("a list of values goes with IN only", self.token.position)
        base, _, suffix = name.rpartition(".")
        if base and suffix in VALUE_TYPES:
            return Comparison(base, suffix, op, value)
        return Comparison(name, None, op, value)

    def property_name(self) -> str:
        if self.token.kind == "escaped":
            text = self.take().text.strip("`")
            return text.replace("\\.", ".").replace("\\\\", "\\")
        if self.token.kind != "ident":
            raise self.unexpected("a property name")
        parts = [self.take().text]
        while self.token.text == "." and self.tokens[self.index + 1].kind == "ident":
            self.take()
            parts.append(self.take().text)
        return ".".join(parts)

    def value_list(self) -> list[Any]:
        self.expect("(")
        values = []
        if self.token.text != ")":
            values.append(self.single_value())
            while self.token.text == ",":
                self.take()
                values.append(self.single_value())
        self.expect(")")
        return values

    def single_value(self) -> Any:
        token = self.token
        if token.kind == "string":
            self.take()
            text = token.text.strip("\"'")
            return text.replace('\\"', '"').replace("\\'", "'").replace("\\\\", "\\")
        if token.kind == "int":
            self.take()
            number = int(token.text)
            if not INT64[0] <= number <= INT64[1]:
                raise syntax_error(f"integer {token.text} does not fit 64 bits", token.position)
            return number
        if token.kind == "float":
            self.take()
            number = float(token.text)
            if not math.isfinite(number):
                raise syntax_error(f"number {token.text} is out of range", token.position)
            return number
        if token.keyword("TRUE", "FALSE"):
            return self.take().text.upper() == "TRUE"
        raise self.unexpected("a value")


def parse(query: str) -> Expression | None:
    """The syntax tree of a filterQuery; None when it is blank."""
    return Parser(query).parse() if query.strip() else None


# Where each entity keeps its fields


@dataclass(frozen=True)
class Field:
    value_type: str
    column: str | None = None  # else a key of the `attributes` JSON


COMMON = {
    "id": Field(INT, "id"),
    "name": Field(STRING, "name"),
    "externalId": Field(STRING, "external_id"),
    "createTimeSinceEpoch": Field(INT, "create_time"),
    "lastUpdateTimeSinceEpoch": Field(INT, "update_time"),
}
ARTIFACT_COMMON = {
    **COMMON,
    "uri": Field(STRING),
    "state": Field(STRING, "state"),
    "experimentId": Field(INT),
    "experimentRunId": Field(INT),
}
MODEL_ARTIFACT_FIELDS = (
    "modelFormatName modelFormatVersion storageKey storagePath serviceAccountName "
    "modelSourceKind modelSourceClass modelSourceGroup modelSourceId modelSourceName"
)
# The fields upstream's filter knows per entity (internal/db/filter/rest_entity_mapping.go).
FIELDS: dict[str, dict[str, Field]] = {
    "registered-model": {**COMMON, "state": Field(STRING, "state"), "owner": Field(STRING)},
    "model-version": {
        **COMMON,
        "state": Field(STRING, "state"),
        "author": Field(STRING),
        "registeredModelId": Field(INT, "registered_model_id"),
    },
    "model-artifact": {
        **ARTIFACT_COMMON,
        **{name: Field(STRING) for name in MODEL_ARTIFACT_FIELDS.split()},
    },
    "doc-artifact": ARTIFACT_COMMON,
    "dataset-artifact": {
        **ARTIFACT_COMMON,
        **{name: Field(STRING) for name in ("digest", "sourceType", "source", "schema", "profile")},
    },
    "metric": {
        **ARTIFACT_COMMON,
        "value": Field(DOUBLE),
        "timestamp": Field(INT),
        "step": Field(INT),
    },
    # Upstream declares a parameter's value a double too.
    "parameter": {**ARTIFACT_COMMON, "value": Field(DOUBLE), "parameterType": Field(STRING)},
}


def condition(expression: Expression, table: Table, entity: str) -> ColumnElement[bool]:
    """The SQL condition of a parsed filterQuery on `table`, which holds `entity`s."""
    if isinstance(expression, Logical):
        combine = and_ if expression.operator == "AND" else or_
        left = condition(expression.left, table, entity)
        return combine(left, condition(expression.right, table, entity))
    known = FIELDS[entity].get(expression.name)
    if known is None:
        return _custom_condition(expression, table)
    value = _coerce(expression.value, known.value_type)
    if known.column is not None:
        return _compare(table.c[known.column], expression.operator, value)
    stored = func.registry_value(
        table.c.attributes, expression.name, expression.value_type or known.value_type, DECLARED
    )
    return _compare(stored, expression.operator, value)


def _custom_condition(expression: Comparison, table: Table) -> ColumnElement[bool]:
    """A custom property, or another stored field of that name (description, readme, ...)."""
    types = [expression.value_type or _type_of(expression.value)]
    if expression.value_type is None and types == [INT]:
        types.append(DOUBLE)  # an integer literal also matches double values
    stored = [
        func.registry_value(table.c[column], expression.name, value_type, mode)
        for value_type in types
        for column, mode in (("custom_properties", CUSTOM), ("attributes", PLAIN))
    ]
    return or_(*(_compare(value, expression.operator, expression.value) for value in stored))


def _type_of(value: Any) -> str:
    if isinstance(value, list):
        return _type_of(value[0]) if value else STRING
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT
    return DOUBLE if isinstance(value, float) else STRING


def _coerce(value: Any, value_type: str) -> Any:
    """A quoted number compared with a numeric field counts as that number (as in MySQL)."""
    if isinstance(value, list):
        return [_coerce(item, value_type) for item in value]
    if isinstance(value, str) and value_type in (INT, DOUBLE):
        if INTEGER.fullmatch(value):
            return int(value)
        try:
            number = float(value)
        except ValueError:
            return value
        return number if math.isfinite(number) else value
    return value


def _compare(stored: ColumnElement[Any], op: str, value: Any) -> ColumnElement[bool]:
    if op in ("LIKE", "ILIKE"):
        return stored.like(value)  # SQLite's LIKE ignores ASCII case, as MySQL's does
    if op == "IN":
        values = value if isinstance(value, list) else [value]
        return stored.in_(values) if values else false()
    return COMPARE[op](stored, value)


# The SQL function `registry_value(document, name, value_type, mode)`


@lru_cache(maxsize=4096)
def _load(document: str) -> dict[str, Any]:
    # Python's json reads the NaN an older server version may have stored; SQLite's does not.
    try:
        loaded = json.loads(document)
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def property_value(document: str | None, name: str, value_type: str, mode: int) -> Any:
    """The value of field `name` in a stored JSON document, as SQL, if it has `value_type`.

    CUSTOM reads a custom property ({"metadataType": ..., "<value_type>": ...}); PLAIN reads a
    stored field's own value; DECLARED does too, and reads a number written as a string (the
    int64 fields of the spec, such as a metric's timestamp) as that number.
    """
    value = _load(document).get(name) if document else None
    if mode == CUSTOM:
        if not isinstance(value, dict) or value.get("metadataType") != METADATA_TYPES[value_type]:
            return None
        value = value.get(value_type)
        if value_type == INT and isinstance(value, str):
            value = _coerce(value, INT)
    elif mode == DECLARED:
        value = _coerce(value, value_type)
    return _sql_value(value, value_type)


def _sql_value(value: Any, value_type: str) -> Any:
    if value_type == STRING:
        return value if isinstance(value, str) else None
    if value_type == BOOL:
        return int(value) if isinstance(value, bool) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if value_type == INT:
        return value if isinstance(value, int) and INT64[0] <= value <= INT64[1] else None
    return float(value) if math.isfinite(value) else None
