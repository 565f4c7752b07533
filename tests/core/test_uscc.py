"""The unified social credit code (GB 32100-2015): its structure is checked as well as its check character, what a
Chinese input method types is read as written, and each refusal names the part that is wrong."""

import pytest
from flask_babel import force_locale

from workflow_app.core.uscc import (
    INSTITUTION_KINDS,
    division_of,
    normalise_uscc,
    org_code_check_char,
    outside_division,
    uscc_check_char,
    uscc_problem,
)
from workflow_app.demo import ENTERPRISES


def code(first16: str) -> str:
    """A code of these first 16 characters with both its check characters (the organisation code's and its own)."""
    first17 = first16 + org_code_check_char(first16[8:])
    return first17 + uscc_check_char(first17)


def english(text):
    with force_locale("en"):
        return uscc_problem(text)


@pytest.mark.parametrize(
    "valid",
    [
        "914403001922038216",  # an enterprise registered in Shenzhen (organisation code 19220382-1)
        "91110108551385082Q",  # one in Beijing's Haidian (55138508-2)
        code("91370705MA3C0A01"),  # a Weifang enterprise with a code of the new kind (MA…)
        code("52370700MA3E1234"),  # a social organisation's private non-enterprise unit (民政, 民办非企业单位)
        code("12100000MB012345"),  # a national public institution (机构编制, 事业单位, division 100000)
        code("93370783MA3K7J2P"),  # a farmers' co-operative (工商, 农民专业合作社)
        code("N2370783MF1234AB"),  # a village collective economic organisation (农业农村, 村级)
        code("Y1370700MA3C0003"),  # another authority (其他)
    ],
)
def test_codes_of_the_standards_structure_pass(app, valid):
    assert uscc_problem(valid) is None, uscc_problem(valid)


def test_the_demo_enterprises_codes_pass(app):
    for first17, name, _county in ENTERPRISES:
        assert uscc_problem(first17 + uscc_check_char(first17)) is None, name


def test_what_a_chinese_input_method_types_is_read_as_written(app):
    written = code("91370705MA3C0A01")
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in written)  # ９１３７…: a full-width IME's digits and letters
    for typed in (
        full_width,
        written.lower(),
        f" {written[:8]} {written[8:]} ",
        f"{written[:8]}\u3000{written[8:]}",
        f"{written[:16]}-{written[16:]}",
        "\u200b" + written,
    ):
        assert normalise_uscc(typed) == written, typed
        assert uscc_problem(typed) is None, typed


@pytest.mark.parametrize(
    "typed, named",
    [
        ("", "Enter the unified social credit code (18 characters)"),
        ("91370705MA3C0A019", "A unified social credit code has 18 characters; this has 17"),
        ("91370705MA3C0A019TT", "this has 19"),
        ("91370705MA3C0AO19T", "Character 15 (“O”) cannot be in a unified social credit code"),
        ("000000000000000000", "000000000000000000 is not a unified social credit code"),
        (code("B1370705MA3C0A01"), "The first character, the registration authority, cannot be “B”"),
        (
            code("94370705MA3C0A01"),
            "The second character, the kind of organisation, cannot be “4” under registration "
            "authority 9 (it registers 1, 2, 3, 9)",
        ),
        (code("Y2370705MA3C0A01"), "cannot be “2” under registration authority Y (it registers 1)"),
        (
            code("913707A5MA3C0A01"),
            "Characters 3 to 8, the administrative division code, must be six digits, not 3707A5",
        ),
        (code("91000000MA3C0A01"), "the administrative division code 000000, name no province (00 is none)"),
        (code("91990705MA3C0A01"), "the administrative division code 990705, name no province (99 is none)"),
        (
            "91370705MA3C0A011" + uscc_check_char("91370705MA3C0A011"),
            "Characters 9 to 17, the organisation code MA3C0A011: its own check character (the 17th) does not match",
        ),
        (code("91370705MA3C0A01")[:17] + "0", "The check character (the last one) does not match the first 17"),
    ],
)
def test_a_refusal_names_the_part_that_is_wrong(app, typed, named):
    assert named in english(typed)


def test_the_check_character_alone_no_longer_lets_a_code_through(app):
    # the demo's codes before this check: their last character fits the first 17, their organisation code does not
    first17 = "91370705MA3C0A011"
    assert uscc_check_char(first17) == (first17 + uscc_check_char(first17))[17]
    assert uscc_problem(first17 + uscc_check_char(first17)) is not None


def test_every_authority_registers_its_other_kind_or_one_of_its_own(app):
    for authority, kinds in INSTITUTION_KINDS.items():
        assert uscc_problem(code(authority + kinds[0] + "370705MA3C0A01")) is None, authority


def test_a_refusal_is_in_the_users_language(app):
    assert uscc_problem("91370705MA3C0A019") == "统一社会信用代码应为 18 位，现为 17 位"
    assert uscc_problem(code("91370705MA3C0A01")[:17] + "0") == "校验码（最后一位）与前 17 位不符，请核对"


def test_the_division_says_where_the_code_was_issued(app):
    weifang, jinan = code("91370705MA3C0A01"), code("91370102MA3C0A01")
    assert division_of(weifang) == "370705" and division_of(jinan.lower()) == "370102"
    assert not outside_division(weifang, "3707") and outside_division(jinan, "3707")
    assert not outside_division(jinan, "")  # no city set: nothing is flagged
