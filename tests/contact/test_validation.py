"""Unit tests of contact_validation: each field's valid and invalid input, and normalisation."""

from __future__ import annotations

import pytest

from selfcare_widget.platform.models import ContactDetails
from selfcare_widget.views import contact_validation as cv

VALID_FORM = {
    "email": "Jana.Nova@Example.CZ",
    "phone": "601 234 567",
    "street": "  Vinohradská   12 ",
    "city": "Praha",
    "postal_code": "12000",
    "country": "cz",
}


# --------------------------------------------------------------------------- e-mail


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("jana@example.cz", "jana@example.cz"),
        ("  Jana.Nova@EXAMPLE.cz  ", "Jana.Nova@example.cz"),  # domain lower-cased, local part kept
        ("a+tag@mail.example.co.uk", "a+tag@mail.example.co.uk"),
        ("o'brien@example.com", "o'brien@example.com"),
        ("x@sub-domain.example.cz", "x@sub-domain.example.cz"),
        ("jan@příklad.cz", "jan@příklad.cz"),  # internationalised domain
        ("a@b.xn--p1ai", "a@b.xn--p1ai"),
    ],
)
def test_email_valid(raw, normal):
    result = cv.validate_email(raw)
    assert result.ok, result.error
    assert result.value == normal


@pytest.mark.parametrize(
    "raw",
    [
        "jana",
        "jana@",
        "@example.cz",
        "jana@example",  # no dot: not a deliverable domain form
        "jana@@example.cz",
        "ja na@example.cz",
        "jana@exa mple.cz",
        "jana@example..cz",
        "jana@-example.cz",
        "jana@example-.cz",
        "jana@example.c",  # one-letter TLD
        "jana@example.123",  # numeric TLD
        "jana@ex_ample.cz",
        ".jana@example.cz",
        "jana.@example.cz",
        "ja..na@example.cz",
        "<script>@example.cz",
        "jana@example.cz\u0000",
        "a" * 65 + "@example.cz",  # local part over 64
        "jana@" + "a" * 64 + ".cz",  # label over 63
    ],
)
def test_email_invalid(raw):
    result = cv.validate_email(raw)
    assert not result.ok
    assert str(result.error) == str(cv.MSG_EMAIL_INVALID)


def test_email_required_and_too_long():
    assert cv.validate_email("   ").error is cv.MSG_EMAIL_REQUIRED
    too_long = "a" * 60 + "@" + ".".join(["b" * 60] * 4) + ".cz"
    assert len(too_long) > cv.EMAIL_MAX
    assert cv.validate_email(too_long).error is cv.MSG_EMAIL_TOO_LONG
    assert "254" in str(cv.MSG_EMAIL_TOO_LONG)


# --------------------------------------------------------------------------- phone


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("601234567", "+420601234567"),  # 9-digit Czech number, CZ default region
        ("601 234 567", "+420601234567"),
        ("+420 601 234 567", "+420601234567"),
        ("00420601234567", "+420601234567"),
        ("+420601234567", "+420601234567"),
        ("(+420) 601-234-567", "+420601234567"),
        ("222 123 456", "+420222123456"),  # Czech fixed line
        ("+421 905 123 456", "+421905123456"),  # Slovak mobile
        ("+49 30 12345678", "+493012345678"),  # Berlin
    ],
)
def test_phone_valid(raw, e164):
    result = cv.validate_phone(raw)
    assert result.ok, result.error
    assert result.value == e164


@pytest.mark.parametrize(
    "raw",
    [
        "123",
        "60123456",
        "6012345678",
        "+420 123",
        "abc",
        "+999 123 456 789",
        "601234567" + "0" * 25,
        "601\u0000234567",
    ],
)
def test_phone_invalid(raw):
    assert cv.validate_phone(raw).error is cv.MSG_PHONE_INVALID


def test_phone_required():
    assert cv.validate_phone("").error is cv.MSG_PHONE_REQUIRED


def test_display_phone():
    assert cv.display_phone("+420601234567") == "+420 601 234 567"
    assert cv.display_phone("garbage") == "garbage"


# --------------------------------------------------------------------------- street, city


def test_street_and_city_valid_and_collapsed():
    assert cv.validate_street("  Na   Příkopě\t33 ").value == "Na Příkopě 33"
    assert cv.validate_city("Ústí nad Labem").value == "Ústí nad Labem"
    assert cv.validate_street('U "Kalicha" 5').value == 'U "Kalicha" 5'  # quotes are legitimate
    assert cv.validate_street("x" * cv.STREET_MAX).ok
    assert cv.validate_city("x" * cv.CITY_MAX).ok


def test_street_and_city_required_and_length_limited():
    assert cv.validate_street(" ").error is cv.MSG_STREET_REQUIRED
    assert cv.validate_city("").error is cv.MSG_CITY_REQUIRED
    assert cv.validate_street("x" * (cv.STREET_MAX + 1)).error is cv.MSG_STREET_TOO_LONG
    assert cv.validate_city("x" * (cv.CITY_MAX + 1)).error is cv.MSG_CITY_TOO_LONG


def test_control_characters_rejected():
    assert cv.validate_street("Main\u0000 1").error is cv.MSG_CONTROL_CHARS
    assert cv.validate_city("Pra\u200bha").error is cv.MSG_CONTROL_CHARS  # zero-width space


# --------------------------------------------------------------------------- postal code


@pytest.mark.parametrize(
    ("raw", "country", "normal"),
    [
        ("12345", "CZ", "123 45"),
        ("123 45", "CZ", "123 45"),
        (" 110 00 ", "CZ", "110 00"),
        ("81101", "SK", "811 01"),
        ("10115", "DE", "10115"),
        ("1010", "AT", "1010"),
        ("00950", "PL", "00-950"),
        ("00-950", "PL", "00-950"),
    ],
)
def test_postal_code_valid(raw, country, normal):
    result = cv.validate_postal_code(raw, country)
    assert result.ok, result.error
    assert result.value == normal


@pytest.mark.parametrize("raw", ["1234", "123456", "12 345", "123-45", "abcde", "123  45", "1234 5"])
def test_postal_code_invalid_cz(raw):
    assert cv.validate_postal_code(raw, "CZ").error is cv.MSG_POSTAL_CZ


@pytest.mark.parametrize(("raw", "country"), [("1234", "DE"), ("12345", "AT"), ("123 45", "PL")])
def test_postal_code_invalid_other_countries(raw, country):
    assert cv.validate_postal_code(raw, country).error is cv.MSG_POSTAL_OTHER


def test_postal_code_required():
    assert cv.validate_postal_code("", "CZ").error is cv.MSG_POSTAL_REQUIRED


# --------------------------------------------------------------------------- country


@pytest.mark.parametrize("raw", ["CZ", "cz", " SK ", "DE", "AT", "PL"])
def test_country_valid(raw):
    assert cv.validate_country(raw).value == raw.strip().upper()


@pytest.mark.parametrize("raw", ["", "US", "CZE", "Czechia", "X"])
def test_country_invalid(raw):
    assert cv.validate_country(raw).error is cv.MSG_COUNTRY_INVALID


# --------------------------------------------------------------------------- the whole form


def test_validate_contact_normalises_every_field():
    checked = cv.validate_contact(VALID_FORM)
    assert checked.ok
    assert checked.contact == ContactDetails(
        email="Jana.Nova@example.cz",
        phone="+420601234567",
        street="Vinohradská 12",
        city="Praha",
        postal_code="120 00",
        country="CZ",
    )


def test_validate_contact_reports_each_invalid_field_and_keeps_the_input():
    form = {"email": "nope", "phone": "12", "street": "", "city": "", "postal_code": "1", "country": "US"}
    checked = cv.validate_contact(form)
    assert not checked.ok and checked.contact is None
    assert set(checked.errors) == set(cv.FIELDS)
    assert checked.entered == form  # exactly what was typed, to re-render the form


def test_validate_contact_ignores_unknown_form_fields():
    checked = cv.validate_contact({**VALID_FORM, "customer_id": "cust-0003", "_st": "x"})
    assert checked.ok
    assert set(checked.entered) == set(cv.FIELDS)


def test_changed_fields():
    old = ContactDetails("a@example.cz", "+420601234567", "Ulice 1", "Praha", "110 00", "CZ")
    assert cv.changed_fields(old, old) == set()
    new = ContactDetails("b@example.cz", "+420601234567", "Ulice 1", "Brno", "602 00", "CZ")
    assert cv.changed_fields(old, new) == {"email", "city", "postal_code"}


def test_messages_are_english_msgids():
    assert str(cv.MSG_POSTAL_CZ) == "Enter the postal code as five digits, e.g. 110 00."
    assert "100" in str(cv.MSG_STREET_TOO_LONG)
