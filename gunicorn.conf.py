"""gunicorn's settings for this app: `gunicorn wsgi:app` reads this file from the directory it is started in."""
from gunicorn.http import wsgi


class ResponseWithoutServerHeader(wsgi.Response):
    """gunicorn's response without its `Server: gunicorn` header: naming the server tells only an attacker anything."""

    def default_headers(self):
        return [line for line in super().default_headers() if not line.startswith("Server:")]


# gunicorn has no setting for it: its workers build every response with this module's Response
wsgi.Response = ResponseWithoutServerHeader
