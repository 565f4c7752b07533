"""The 18-character unified social credit code (统一社会信用代码, GB 32100-2015)."""

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_char(first17: str) -> str:
    """Return the check character for the first 17 characters of a code."""
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """Return why `code` is not a valid USCC, or None if it is valid."""
    code = (code or "").strip().upper()
    if len(code) != 18:
        return "length"
    if any(c not in ALPHABET for c in code):
        return "characters"
    if uscc_check_char(code[:17]) != code[17]:
        return "check"
    return None
