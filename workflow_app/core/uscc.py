"""The 18-character unified social credit code (统一社会信用代码, GB 32100-2015).

A code is: its registration authority (登记管理部门码, 1 character), the kind of organisation under that authority
(机构类别码, 1), the administrative division of the registering office (登记管理机关行政区划码, 6 digits,
GB/T 2260), the organisation code (主体标识码, 9 characters: GB 11714's, with its own check character) and the
code's check character. People type it from a licence, often with a Chinese input method: full-width characters,
spaces and lower case are read as what they stand for (`normalise_uscc`) before it is checked.
"""

import re
import unicodedata

from flask_babel import gettext as _

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714-1997, of the organisation code's first eight characters

# registration authority -> the kinds of organisation it registers: GB 32100-2015 (1 机构编制, 5 民政, 9 工商,
# Y 其他) and the authorities and kinds assigned under it since (2 外交, 3 司法行政, 4 文化, 6 旅游, 7 宗教, 8 工会,
# A 中央军委改革和编制办公室, G 公安, J 住房和城乡建设, N 农业农村, Q 侨联); 9 of a kind is its "other"
INSTITUTION_KINDS = {
    "1": "1239",  # 机关, 事业单位, 编办直接管理机构编制的群众团体, 其他
    "2": "19",  # 外国常驻新闻机构, 其他
    "3": "1234569",  # 律师执业机构, 公证处, 基层法律服务所, 司法鉴定机构, 仲裁委员会, 商事调解组织, 其他
    "4": "19",  # 外国在华文化中心, 其他
    "5": "123459",  # 社会团体, 民办非企业单位, 基金会, 村民委员会, 居民委员会, 其他
    "6": "129",  # 外国政府旅游部门常驻代表机构, 港澳台地区旅游部门常驻代表机构, 其他
    "7": "129",  # 宗教活动场所, 宗教院校, 其他
    "8": "129",  # 基层工会, 非法人工会组织, 其他
    "9": "1239",  # 企业, 个体工商户, 农民专业合作社, 其他
    "A": "19",  # 军队单位, 其他
    "G": "19",  # 境外非政府组织代表机构, 其他
    "J": "19",  # 业主大会, 其他
    "N": "1239",  # 组级, 村级, 乡镇级集体经济组织, 其他
    "Q": "1239",  # 区县级, 乡镇级, 村级侨联组织, 其他
    "Y": "1",  # 其他
}
# the first two digits of an administrative division code (GB/T 2260): the provinces, regions and municipalities
PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82".split()
)
NATIONAL_DIVISION = "100000"  # registered by a national authority (e.g. 11100000…: a ministry)
_SPACES = re.compile(r"[\s\u200b\u200c\u200d\ufeff\-]+")


def normalise_uscc(text) -> str:
    """A code as typed, as it is written: full-width characters read as ASCII (NFKC), spaces, hyphens and
    zero-width characters taken out, letters in capitals."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", str(text or ""))).upper()


def uscc_check_char(first17: str) -> str:
    """Return the check character for the first 17 characters of a code."""
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def org_code_check_char(first8: str) -> str:
    """Return the check character of an organisation code's first eight characters (GB 11714-1997)."""
    total = sum(
        (int(c) if c.isdigit() else ord(c) - ord("A") + 10) * w for c, w in zip(first8, ORG_CODE_WEIGHTS, strict=True)
    )
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def uscc_problem(code: str) -> str | None:
    """Why `code` (as typed: it is normalised first) is no unified social credit code, naming the part that is
    wrong, in the user's language; None when it is one."""
    code = normalise_uscc(code)
    if not code:
        return _("Enter the unified social credit code (18 characters)")
    if len(code) != 18:
        return _("A unified social credit code has 18 characters; this has %(n)d", n=len(code))
    wrong = next(((position, char) for position, char in enumerate(code, 1) if char not in ALPHABET), None)
    if wrong:
        return _(
            "Character %(position)d (“%(char)s”) cannot be in a unified social credit code: it holds digits and "
            "capital letters other than I, O, S, V and Z",
            position=wrong[0],
            char=wrong[1],
        )
    if set(code) == {"0"}:
        return _("%(code)s is not a unified social credit code", code=code)
    authority, kind, division, org_code = code[0], code[1], code[2:8], code[8:17]
    if authority not in INSTITUTION_KINDS:
        return _(
            "The first character, the registration authority, cannot be “%(char)s” (GB 32100 allows %(known)s)",
            char=authority,
            known=", ".join(INSTITUTION_KINDS),
        )
    if kind not in INSTITUTION_KINDS[authority]:
        return _(
            "The second character, the kind of organisation, cannot be “%(char)s” under registration "
            "authority %(authority)s (it registers %(known)s)",
            char=kind,
            authority=authority,
            known=", ".join(INSTITUTION_KINDS[authority]),
        )
    if not division.isdigit():
        return _("Characters 3 to 8, the administrative division code, must be six digits, not %(part)s", part=division)
    if division != NATIONAL_DIVISION and division[:2] not in PROVINCES:
        return _(
            "Characters 3 to 8, the administrative division code %(part)s, name no province (%(province)s is none)",
            part=division,
            province=division[:2],
        )
    if org_code_check_char(org_code[:8]) != org_code[8]:
        return _(
            "Characters 9 to 17, the organisation code %(part)s: its own check character (the "
            "17th) does not match; check what was typed",
            part=org_code,
        )
    if uscc_check_char(code[:17]) != code[17]:
        return _("The check character (the last one) does not match the first 17; check what was typed")
    return None


def division_of(code: str) -> str:
    """The administrative division code of the registering office (characters 3 to 8)."""
    return normalise_uscc(code)[2:8]


def outside_division(code: str, prefix: str) -> bool:
    """Whether a (valid) code was registered outside the divisions starting with `prefix` ("3707": 潍坊市)."""
    return bool(prefix) and not division_of(code).startswith(prefix)
