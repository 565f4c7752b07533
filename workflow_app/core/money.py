"""Money: amounts are integers of fen (分); yuan only at the edges, as Decimal, never float."""

from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

FEN_PER_YUAN = 100
# The largest amount anyone may type, in yuan: just under 10^13 (ten trillion yuan, more than any fund or loan the
# bureau handles). Several such amounts added up in fen (10^15 each) stay exact in a JSON client's double (2^53 is
# about 9×10^15) and far inside the BIGINT columns (9.2×10^18), and Decimal's 28 digits hold them with room to spare.
MAX_YUAN = Decimal("9999999999999.99")
_FEN = Decimal("0.01")


class AmountError(ValueError):
    """Typed text that is no amount of money; `message` says why in the user's language."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def parse_yuan(typed) -> Decimal | None:
    """Read an amount of yuan as a person or a JSON client typed it; None when nothing was typed.

    Refuse (AmountError) what is no finite number, what is beyond ±MAX_YUAN and fractions of a fen.
    """
    if typed is None:
        return None
    if isinstance(typed, float):
        raise TypeError("money must not be a float")
    if isinstance(typed, str):
        typed = typed.strip()
        if not typed:
            return None
    try:
        amount = Decimal(typed)
    except (InvalidOperation, TypeError, ValueError):
        raise AmountError(_l("Type the amount in digits, e.g. 1234.56")) from None
    if not amount.is_finite():  # NaN, sNaN, Infinity: Decimal reads them, but they are no amount
        raise AmountError(_l("Type the amount in digits, e.g. 1234.56"))
    if abs(amount) > MAX_YUAN:  # before quantize, which cannot hold more than 28 digits
        raise AmountError(_l("The amount can be at most %(amount)s yuan", amount=f"{MAX_YUAN:,.2f}"))
    if amount != amount.quantize(_FEN):
        raise AmountError(_l("Give the amount in yuan with at most two decimals (fen)"))
    return amount.quantize(_FEN)


def yuan_to_fen(yuan) -> int:
    """Convert a yuan amount (Decimal, int or str) to fen, read by parse_yuan; refuse floats and nothing."""
    amount = parse_yuan(yuan)
    if amount is None:
        raise ValueError("not an amount: nothing was given")
    return int(amount * FEN_PER_YUAN)


def fen_to_yuan(fen: int) -> Decimal:
    return (Decimal(fen) / FEN_PER_YUAN).quantize(_FEN)


def format_yuan(fen: int) -> str:
    """Render fen as yuan with thousands separators, e.g. 123456 → '1,234.56'."""
    return f"{fen_to_yuan(fen):,.2f}"


_CAPITAL_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_CAPITAL_PLACES = ("", "拾", "佰", "仟")  # within a group of four digits
_CAPITAL_GROUPS = ("", "万", "亿", "万")  # of the groups, from the lowest; MAX_YUAN has 13 digits of yuan


def _capital_group(number: int) -> str:
    """1 to 9999 in capitals, a 零 for each run of zeros between its digits (1010 → 壹仟零壹拾)."""
    digits, words, zeros = f"{number:04d}", "", False
    for index, digit in enumerate(digits):
        if digit == "0":
            zeros = bool(words)  # a zero counts only after a digit was written, and only if another one follows
            continue
        if zeros:
            words += "零"
            zeros = False
        words += _CAPITAL_DIGITS[int(digit)] + _CAPITAL_PLACES[3 - index]
    return words


def amount_in_capitals(fen: int) -> str:
    """An amount in fen in Chinese capitals (大写), as cheques and agreements write it: 1234567 → 壹万贰仟叁佰肆拾伍元陆角柒分.

    The rules of the payment and settlement measures (支付结算办法): a run of zeros between digits is one 零, a whole
    amount or one ending in 角 ends in 整, 元 is followed by 零 when the 角 is zero and the 分 is not, and an amount
    from 10 to 19 yuan begins with 壹拾 (16.00 → 壹拾陆元整).
    """
    if isinstance(fen, bool) or not isinstance(fen, int) or fen < 0:
        raise ValueError(f"an amount in capitals is a whole, non-negative number of fen, not {fen!r}")
    yuan, cents = divmod(fen, FEN_PER_YUAN)
    jiao, fen_digit = divmod(cents, 10)
    words = ""
    groups = []
    while yuan:
        yuan, group = divmod(yuan, 10_000)
        groups.append(group)
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            continue
        lower_written = bool(words)
        gap = lower_written and (groups[index + 1] == 0 or group < 1000)  # zeros between it and the group above
        words += ("零" if gap else "") + _capital_group(group) + _CAPITAL_GROUPS[index]
        if index == 3 and groups[2] == 0:
            words += (
                "亿"  # 万亿, when no 亿 of its own follows (1,0000,0000,0000 → 壹万亿; 1,0001,0000,0000 → 壹万零壹亿)
            )
    if words:
        words += "元"
    if jiao:
        words += _CAPITAL_DIGITS[jiao] + "角"
    elif fen_digit and words:
        words += "零"
    if fen_digit:
        return words + _CAPITAL_DIGITS[fen_digit] + "分"
    return (words or "零元") + "整"
