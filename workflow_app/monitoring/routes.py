"""/healthz (the process answers), /readyz (it can serve: database, schema, worker) and /metrics (Prometheus)."""

import hmac
import ipaddress

from flask import Blueprint, abort, current_app, jsonify, request

from workflow_app.core.time import utcnow
from workflow_app.monitoring.metrics import exposition
from workflow_app.monitoring.queries import readiness_checks

bp = Blueprint("monitoring", __name__)


@bp.route("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.route("/readyz")
def readyz():
    checks = readiness_checks(utcnow())
    ready = all(check.ok for check in checks)
    body = {
        "status": "ready" if ready else "unready",
        "checks": {check.name: {"ok": check.ok, "detail": check.detail} for check in checks},
    }
    return jsonify(body), 200 if ready else 503


@bp.route("/metrics")
def metrics():
    config = current_app.config
    if not config["METRICS_ENABLED"]:
        abort(404)
    if not (_has_metrics_token(config["METRICS_TOKEN"]) or _from_allowed_address(config["METRICS_ALLOWED_IPS"])):
        return (
            "Forbidden: /metrics is read from METRICS_ALLOWED_IPS or with METRICS_TOKEN\n",
            403,
            {"Content-Type": "text/plain; charset=utf-8"},
        )
    return (
        exposition(utcnow(), config["PROMETHEUS_MULTIPROC_DIR"]),
        200,
        {"Content-Type": "text/plain; version=0.0.4; charset=utf-8"},
    )


def _has_metrics_token(token: str) -> bool:
    sent = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())


def check_allowed_networks(allowed: str) -> None:
    """Refuse a METRICS_ALLOWED_IPS that is not a list of addresses or networks (at start, not at a scrape)."""
    try:
        _networks(allowed)
    except ValueError as exc:
        raise ValueError(f"METRICS_ALLOWED_IPS '{allowed}': {exc}") from None


def _networks(allowed: str) -> list:
    return [ipaddress.ip_network(part.strip(), strict=False) for part in allowed.split(",") if part.strip()]


def _from_allowed_address(allowed: str) -> bool:
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in network for network in _networks(allowed))
