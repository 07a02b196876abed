"""Verification codes: short, read aloud without doubt, typed however a phone types them."""

import pytest

from statuspage.verification import codes

pytestmark = pytest.mark.pure


def test_a_code_has_eight_characters_without_ambiguous_ones():
    code = codes.code_for("update", "abc123")

    assert len(code) == 10 and code[2] == "-" and code[7] == "-"
    assert not set(code.replace("-", "")) & set("01OILU")


def test_the_same_statement_always_gets_the_same_code_and_another_a_different_one():
    assert codes.code_for("update", "abc123") == codes.code_for("update", "abc123")
    assert codes.code_for("update", "abc123") != codes.code_for("update", "abc124")
    assert codes.code_for("update", "abc123") != codes.code_for("channels", "abc123")


def test_a_typed_code_is_forgiven_spaces_case_and_missing_dashes():
    code = codes.code_for("update", "x")

    for typed in (code.lower(), code.replace("-", ""), f"  {code[:2]} {code[3:7]} {code[8:]} ",
                  code.replace("-", " - ")):
        assert codes.normalize(typed) == code


def test_cyrillic_look_alike_letters_from_a_ukrainian_keyboard_are_read_as_latin():
    assert codes.normalize("РК-4Т7Х-С2") == "PK-4T7X-C2"


def test_what_cannot_be_a_code_is_not_taken_for_one():
    assert codes.normalize("RZ-4F7K-Q") is None  # one short
    assert codes.normalize("RZ-0F7K-Q2") is None  # 0 is never in a code
    assert not codes.looks_like_code("Your deferral was granted until the end of martial law")
