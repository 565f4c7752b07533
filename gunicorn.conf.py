"""gunicorn's settings for this app: `gunicorn wsgi:app` reads this file from the directory it is started in."""

import os

from gunicorn.http import wsgi


class ResponseWithoutServerHeader(wsgi.Response):
    """gunicorn's response without its `Server: gunicorn` header: naming the server tells only an attacker anything."""

    def default_headers(self):
        return [line for line in super().default_headers() if not line.startswith("Server:")]


# gunicorn has no setting for it: its workers build every response with this module's Response
wsgi.Response = ResponseWithoutServerHeader


def on_starting(server):
    """Start with an empty PROMETHEUS_MULTIPROC_DIR: the files of processes from an earlier run would count again."""
    from config import Config

    folder = Config.PROMETHEUS_MULTIPROC_DIR
    if folder:
        os.makedirs(folder, exist_ok=True)
        for name in os.listdir(folder):
            if name.endswith(".db"):
                os.remove(os.path.join(folder, name))


def child_exit(server, worker):
    """Let /metrics forget a gunicorn worker process that ended (its counters stay counted)."""
    from config import Config

    if Config.PROMETHEUS_MULTIPROC_DIR:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid, Config.PROMETHEUS_MULTIPROC_DIR)
