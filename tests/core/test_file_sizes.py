"""File sizes as people read them."""

import pytest
from flask_babel import force_locale

from workflow_app.core.file_sizes import format_file_size


@pytest.mark.parametrize(
    "size, english, chinese",
    [
        (0, "0 bytes", "0 字节"),
        (1, "1 byte", "1 字节"),
        (37, "37 bytes", "37 字节"),
        (1023, "1023 bytes", "1023 字节"),
        (1024, "1.0 KB", "1.0 KB"),
        (1536, "1.5 KB", "1.5 KB"),
        (1024 * 1024 - 1, "1.0 MB", "1.0 MB"),
        (5 * 1024 * 1024 + 300 * 1024, "5.3 MB", "5.3 MB"),
        (None, "0 bytes", "0 字节"),
    ],
)
def test_a_size_reads_in_bytes_kilobytes_or_megabytes(app, size, english, chinese):
    with app.test_request_context():
        with force_locale("en"):
            assert format_file_size(size) == english
        with force_locale("zh_Hans_CN"):
            assert format_file_size(size) == chinese
