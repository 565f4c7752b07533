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
