"""Responses that the browser saves as a file: named in UTF-8, never sniffed, never cached by others."""

from urllib.parse import quote

from flask import Response


def download_headers(name: str) -> dict:
    return {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}", "X-Content-Type-Options": "nosniff"}


def file_download(content: bytes, content_type: str, name: str) -> Response:
    """A stored file as a download (an upload is never shown inline, whatever its type claims)."""
    return Response(
        content, content_type=content_type, headers={**download_headers(name), "Cache-Control": "private, no-store"}
    )
