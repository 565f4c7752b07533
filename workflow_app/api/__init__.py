"""The JSON API v1 (`/api/v1`) and its OpenAPI document; it calls the domains' queries and operations."""

from workflow_app.api import errors, routes
from workflow_app.api.endpoint import CookieSessionOutsideApi
from workflow_app.core.errors import answer_errors_under
from workflow_app.extensions import csrf


def init_app(app) -> None:
    """Add the API: no cookies and no CSRF token (bearer tokens instead), and its errors answered as JSON."""
    app.register_blueprint(routes.bp)
    csrf.exempt(routes.bp)  # bearer tokens, not cookies: no cross-site request can carry one
    app.session_interface = CookieSessionOutsideApi(routes.bp.url_prefix)
    answer_errors_under(app, "/api/", errors.http_error, errors.domain_error)
