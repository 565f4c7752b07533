"""Money: amounts are integers of fen (分); yuan only at the edges, as Decimal, never float."""
from decimal import Decimal, InvalidOperation

FEN_PER_YUAN = 100


def yuan_to_fen(yuan) -> int:
    """Convert a yuan amount (Decimal, int or str) to fen; refuse floats and fractions of a fen."""
    if isinstance(yuan, float):
        raise TypeError("money must not be a float")
    try:
        value = Decimal(str(yuan)) * FEN_PER_YUAN
    except InvalidOperation:
        raise ValueError(f"not an amount: {yuan!r}") from None
    if value != value.to_integral_value():
        raise ValueError(f"{yuan} yuan is not a whole number of fen")
    return int(value)


def fen_to_yuan(fen: int) -> Decimal:
    return (Decimal(fen) / FEN_PER_YUAN).quantize(Decimal("0.01"))


def format_yuan(fen: int) -> str:
    """Render fen as yuan with thousands separators, e.g. 123456 → '1,234.56'."""
    return f"{fen_to_yuan(fen):,.2f}"
