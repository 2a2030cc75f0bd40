"""Numbers as people type them in English and in Dutch: the parser, the shown value, the field."""

from decimal import Decimal

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import Form

from webapp.number_input import DecimalInput, format_number_input, normalize_number, parse_number
from webapp.validators import MoneyAmount


@pytest.mark.parametrize(
    ("typed", "english", "dutch"),
    [
        # Each locale's own notation.
        ("10.00", "10.00", "10.00"),  # Dutch: the number pad's "." before two digits
        ("10,00", "10.00", "10.00"),  # English: "," before two digits can only be decimals
        ("10,5", "10.5", "10.5"),
        ("10.5", "10.5", "10.5"),
        ("1,234.56", "1234.56", None),
        ("1.234,56", None, "1234.56"),
        ("1,234,567.89", "1234567.89", None),
        ("1.234.567,89", None, "1234567.89"),
        # Three digits after the group symbol are thousands, after the decimal symbol decimals.
        ("1,234", "1234", "1.234"),
        ("1.234", "1.234", "1234"),
        ("33,333", "33333", "33.333"),
        ("1.2345", "1.2345", None),  # a group of four is no group
        ("1,2345", None, "1.2345"),
        # Spaces, the non-breaking ones too, mean nothing.
        ("1 234,56", "1234.56", "1234.56"),
        ("1\u00a0234.56", "1234.56", "1234.56"),
        ("1\u202f234,56", "1234.56", "1234.56"),
        # Signs and bare decimals, which the validators then judge.
        ("-5", "-5", "-5"),
        (",5", ".5", ".5"),
        ("0", "0", "0"),
    ],
)
def test_a_number_is_read_by_the_locales_rule(typed, english, dutch):
    assert normalize_number(typed, "en") == english
    assert normalize_number(typed, "nl") == dutch


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "ten",
        "1e2",
        "NaN",
        "Infinity",
        "١٢",  # other scripts' digits
        "1.2.3",
        "1,2,3",
        "12,34.56",  # groups of two
        "1.234,5.6",
        "--5",
        "5-",
        "€ 10",
        "10.00.",
        ".",
        ",",
    ],
)
def test_anything_else_is_not_a_number_in_either_language(typed):
    assert normalize_number(typed, "en") is None
    assert normalize_number(typed, "nl") is None


def test_thousands_of_digits_are_read_without_trouble():
    assert parse_number("9" * 5000, "nl") == Decimal("9" * 5000)
    assert parse_number("1." * 3000 + "5", "nl") is None


def test_a_value_is_shown_with_the_locales_decimal_symbol_and_no_grouping():
    assert format_number_input("400.00", "nl") == "400,00"
    assert format_number_input("400.00", "en") == "400.00"
    assert format_number_input(Decimal("1234.56"), "nl") == "1234,56"
    assert format_number_input(Decimal("1234.56"), "en") == "1234.56"
    assert format_number_input("1", "nl") == "1"
    assert format_number_input(None, "nl") == ""
    assert format_number_input("not a number", "nl") == "not a number"


class AmountForm(Form):
    amount = DecimalInput(validators=[MoneyAmount()])


def posted(app, language: str, typed: str) -> AmountForm:
    with app.test_request_context(headers={"Accept-Language": language}):
        form = AmountForm(MultiDict({"amount": typed}))
        form.validate()
        form.shown = form.amount._value()
        return form


def test_the_field_keeps_the_plain_number_and_shows_what_was_typed(app):
    form = posted(app, "nl", " 1.234,50 ")
    assert form.amount.data == "1234.50"
    assert form.amount.errors == []
    assert form.shown == " 1.234,50 "


def test_a_value_a_view_sets_is_shown_in_the_locale(app):
    with app.test_request_context(headers={"Accept-Language": "nl"}):
        form = AmountForm(amount="72.00")
        assert form.amount() == '<input id="amount" name="amount" type="text" value="72,00">'


def test_junk_gets_the_message_with_a_dutch_example_and_comes_back_as_typed(app):
    form = posted(app, "nl", "tien euro")
    assert form.amount.data is None
    assert form.amount.errors == ["Vul een bedrag in, zoals 125,00."]
    assert form.shown == "tien euro"
    assert posted(app, "en", "ten").amount.errors == ["Enter an amount, like 125.00."]


def test_three_decimals_are_refused_by_name_in_either_language(app):
    assert posted(app, "nl", "12,345").amount.errors == ["Gebruik hoogstens twee decimalen."]
    assert posted(app, "en", "12.345").amount.errors == ["Use at most two decimals."]
