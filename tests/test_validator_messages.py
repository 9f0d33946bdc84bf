"""Every message a validator can show reads in the page's language.

A Spanish page once said "Longer than maximum length 4000.": marshmallow's validators speak
English unless given a message. This walks every marshmallow schema of the application,
makes each declared validator (length, range, choices, pattern, ...) refuse a value under
the Spanish locale and under the English one, and requires the two messages to differ, so a
validator added without a translated message fails here. Messages raised by hand
(``ValidationError("...")``) must go through gettext too.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_babel import force_locale
from marshmallow import Schema, ValidationError, fields, validate

import telemed
from telemed.cases.schemas import CaseListQuerySchema, TransitionInputSchema

ROOT = Path(__file__).resolve().parents[1]


def telemed_schemas() -> list[type[Schema]]:
    """Every ``Schema`` subclass defined in the ``telemed`` package."""
    for module in pkgutil.walk_packages(telemed.__path__, "telemed."):
        importlib.import_module(module.name)
    found: list[type[Schema]] = []
    todo: list[type[Schema]] = [Schema]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("telemed."):
                found.append(sub)
    return sorted(set(found), key=lambda s: f"{s.__module__}.{s.__qualname__}")


def validators_of(schema: Schema) -> Iterator[tuple[str, Any, bool]]:
    """(field name, validator, inside a list?) for every declared validator."""
    for name, field in schema.fields.items():
        for inner, listing in ((field, isinstance(field, fields.List)),) + (
            ((field.inner, False),) if isinstance(field, fields.List) else ()
        ):
            for validator in inner.validators:
                stack = [validator]
                while stack:
                    current = stack.pop()
                    if isinstance(current, validate.And):
                        stack.extend(current.validators)
                    elif isinstance(current, validate.Validator):
                        yield name, current, listing


def below(low: Any) -> Any:
    if isinstance(low, datetime | date):
        return low - timedelta(days=1)
    return low - 1


def above(high: Any) -> Any:
    if isinstance(high, datetime | date):
        return high + timedelta(days=1)
    return high + 1


def bad_values(validator: Any, listing: bool) -> list[Any]:
    """Values the validator refuses (each tried until one is refused)."""
    if isinstance(validator, validate.Length):
        make = (lambda n: ["x"] * n) if listing else (lambda n: "x" * n)
        if validator.equal is not None:
            return [make(validator.equal + 1)]
        values = []
        if validator.min:
            values.append(make(validator.min - 1))
        if validator.max is not None:
            values.append(make(validator.max + 1))
        return values
    if isinstance(validator, validate.Range):
        values = []
        if validator.min is not None:
            values.append(below(validator.min))
        if validator.max is not None:
            values.append(above(validator.max))
        return values
    if isinstance(validator, validate.ContainsOnly):
        return [["\x7fnone of these"]]
    if isinstance(validator, validate.ContainsNoneOf):
        return [list(validator.iterable)[:1]]
    if isinstance(validator, validate.NoneOf):
        return list(validator.iterable)[:1]
    if isinstance(validator, validate.OneOf):
        return ["\x7fnone of these"]
    if isinstance(validator, validate.Equal):
        return [object()]
    return ["", "!", "\x01", "not valid at all ~~~", "-1"]


def message(validator: Any, value: Any, locale: str) -> str | None:
    with force_locale(locale):
        try:
            validator(value)
        except ValidationError as err:
            return " ".join(str(m) for m in err.messages)
        except (TypeError, ValueError):
            return None
    return None


def refusals(app: Flask) -> list[tuple[str, str, str]]:
    """(where, Spanish message, English message) for every validator of every schema."""
    found = []
    with app.test_request_context():
        for schema_class in telemed_schemas():
            try:
                schema = schema_class()
            except TypeError:  # a schema that needs arguments: none does today
                pytest.fail(f"cannot build {schema_class.__qualname__}")
            for name, validator, listing in validators_of(schema):
                where = f"{schema_class.__module__}.{schema_class.__qualname__}.{name}"
                for value in bad_values(validator, listing):
                    spanish = message(validator, value, "es_MX")
                    if spanish is not None:
                        english = message(validator, value, "en")
                        found.append((f"{where} ({type(validator).__name__})", spanish,
                                      english or ""))  # fmt: skip
                        break
    return found


def test_every_validator_message_is_in_the_page_language(app):
    found = refusals(app)
    kinds = {where.rsplit("(", 1)[1] for where, _, _ in found}
    assert {"Length)", "Range)", "OneOf)", "Regexp)"} <= kinds  # the walk reaches them
    untranslated = [f"{where}: {es!r}" for where, es, en in found if es == en]
    assert untranslated == []


def test_the_length_limit_of_a_case_reads_in_spanish(app):
    """The message the issue quoted, as a doctor sees it."""
    with app.test_request_context(), force_locale("es_MX"):
        with pytest.raises(ValidationError) as err:
            TransitionInputSchema().load({"message": "x" * 4001})
        assert err.value.messages == {"message": ["Escriba como máximo 4000 caracteres."]}
        with pytest.raises(ValidationError) as err:
            CaseListQuerySchema().load({"q": "x" * 21})
        assert err.value.messages == {"q": ["Escriba como máximo 20 caracteres."]}


def test_building_a_schema_again_and_again_adds_no_validators(app):
    """Each request builds its schemas; their fields' checks must not pile up."""
    with app.test_request_context():
        counts = {len(CaseListQuerySchema().fields["q"].validators) for _ in range(5)}
    assert len(counts) == 1


def literal(node: ast.expr) -> bool:
    """Text written out in the code (not a gettext call), alone or inside a dict or list."""
    if isinstance(node, ast.Constant | ast.JoinedStr):
        return isinstance(node, ast.JoinedStr) or isinstance(node.value, str)
    if isinstance(node, ast.Dict):
        return any(literal(value) for value in node.values if value is not None)
    if isinstance(node, ast.List):
        return any(literal(element) for element in node.elts)
    return False


def test_no_validation_message_is_written_as_plain_text():
    """``raise ValidationError("...")`` with a literal reads English on Spanish pages."""
    offenders = []
    for path in sorted((ROOT / "telemed").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            if name == "ValidationError" and literal(node.args[0]):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
