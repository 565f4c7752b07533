"""The HTTP headers every response carries: scripts only from this site, no framing, no sniffing, no copy of
a signed-in user's pages kept by a browser or a proxy, and in production HTTPS only (HSTS)."""

from flask import current_app, request
from flask_login import current_user

# Scripts only from our own static files (the vendored libraries and ours; no inline script, no eval).
# Styles also allow inline `style` attributes: the templates and bpmn-js's SVG use them, and they run no code.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def add_security_headers(response):
    """Set the security headers on a response (those a view set itself are kept)."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if _for_a_signed_in_user():
        response.headers["Cache-Control"] = "no-store"
    max_age = current_app.config["HSTS_MAX_AGE_SECONDS"]
    if max_age and request.is_secure:  # browsers ignore it over plain HTTP; behind a proxy, its X-Forwarded-Proto
        response.headers.setdefault("Strict-Transport-Security", f"max-age={max_age}")
    return response


def _for_a_signed_in_user() -> bool:
    """Tell whether a signed-in user or an API call with a token gets the response (static files are for all)."""
    if request.endpoint == "static":
        return False
    if request.path.startswith("/api/"):  # no cookie session there (current_user is nobody): a token signs in
        return "Authorization" in request.headers
    return current_user.is_authenticated
