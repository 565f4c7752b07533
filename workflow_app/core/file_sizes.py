"""File sizes as people read them: bytes below a kilobyte, then KB and MB with one decimal."""

from flask_babel import ngettext

KB = 1024
MB = 1024 * KB


def format_file_size(size: int | None) -> str:
    """A size in bytes as "512 bytes", "1.5 KB" or "2.3 MB" (a small file is never "0.0 KB")."""
    size = max(int(size or 0), 0)
    if size < KB:
        return ngettext("%(num)d byte", "%(num)d bytes", size)
    if round(size / KB, 1) < KB:
        return f"{size / KB:.1f} KB"
    return f"{size / MB:.1f} MB"
