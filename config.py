"""Configuration classes; the only module that reads the environment."""

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
DEFAULT_SECRET_KEY = "dev-only-secret-change-me"


def _database_url(url: str | None) -> str | None:
    """Accept postgres:// and postgresql:// URLs and use the installed psycopg 3 driver for them."""
    if url and url.startswith(("postgres://", "postgresql://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


class Config:
    # Database URL; an SQLite file under instance/ when unset, postgresql://user@host/db for PostgreSQL
    SQLALCHEMY_DATABASE_URI = (
        _database_url(os.environ.get("DATABASE_URL")) or f"sqlite:///{BASE_DIR / 'instance' / 'workflow.sqlite'}"
    )
    # Signs session cookies and CSRF tokens; production refuses to start with the default
    SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
    # Run the timer worker in a thread of the web process (the one-command demo)
    INPROCESS_WORKER = os.environ.get("INPROCESS_WORKER", "0") == "1"
    # Seconds the worker sleeps between passes when nothing is due
    WORKER_POLL_SECONDS = float(os.environ.get("WORKER_POLL_SECONDS", "1"))
    # Folder of BPMN/DMN files deployed by `flask processes deploy` without arguments
    BPMN_DIR = os.environ.get("BPMN_DIR", str(BASE_DIR / "bpmn"))
    # Password given to demo users by `flask seed-demo`
    DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "demo1234")

    # Largest file a user may attach to a case, in bytes
    ATTACHMENT_MAX_BYTES = int(os.environ.get("ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
    # Largest request body accepted at all (uploads included), in bytes
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", str(25 * 1024 * 1024)))
    # Rows per page of the inbox and the case list
    PAGE_SIZE = int(os.environ.get("PAGE_SIZE", "25"))

    # Working hours of a working day in Asia/Shanghai (periods separated by commas); working-hour SLAs count only these
    WORKING_HOURS = os.environ.get("WORKING_HOURS", "09:00-12:00,13:30-17:30")
    # Share of a task's SLA time after which it is "at risk" (its warn_at), e.g. 0.75
    SLA_WARN_RATIO = float(os.environ.get("SLA_WARN_RATIO", "0.75"))
    # Lanes whose open tasks mean "the case waits on the enterprise": every other clock of the case pauses
    SLA_PAUSE_LANES = tuple(os.environ.get("SLA_PAUSE_LANES", "enterprise").split(","))
    # How long past its deadline an overdue task escalates from the county to the city (a task's escalateAfter wins)
    SLA_ESCALATE_AFTER = os.environ.get("SLA_ESCALATE_AFTER", "2wd")
    # The role whose holders receive supervision notices (督办单) for their unit
    SUPERVISOR_ROLE = os.environ.get("SUPERVISOR_ROLE", "supervisor")
    # Clocks the SLA sweep takes per transaction
    SLA_SWEEP_BATCH = int(os.environ.get("SLA_SWEEP_BATCH", "500"))

    # Earliest year of a date people type (payments, due dates, loan and founding dates, months): earlier is a typo
    TYPED_DATE_EARLIEST_YEAR = int(os.environ.get("TYPED_DATE_EARLIEST_YEAR", "1900"))
    # Latest year of a date people type: later is a typo (and months added to it would leave the calendar)
    TYPED_DATE_LATEST_YEAR = int(os.environ.get("TYPED_DATE_LATEST_YEAR", "2100"))
    # The administrative division (GB/T 2260) of the city whose counties the register holds: the first digits of its
    # division codes (3707: 潍坊市). An enterprise of the register whose unified social credit code was issued
    # elsewhere is flagged (not refused: enterprises move); empty: none is
    CITY_DIVISION_PREFIX = os.environ.get("CITY_DIVISION_PREFIX", "3707")

    # CPU seconds that one engine step's model code (scripts, conditions, timer expressions, DMN cells) may use;
    # past it the step fails and its case stops in error (so a looping model cannot hold a worker or a row lock)
    MODEL_CPU_SECONDS = float(os.environ.get("MODEL_CPU_SECONDS", "5"))
    # Megabytes of memory that one engine step's model code may take (a larger allocation fails the step)
    MODEL_MEMORY_MB = int(os.environ.get("MODEL_MEMORY_MB", "256"))
    # How deep functions defined in model code may call each other (recursion)
    MODEL_CALL_DEPTH = int(os.environ.get("MODEL_CALL_DEPTH", "100"))
    # Kilobytes of data one task may hold when a step ends (roughly as stored); more fails the step
    TASK_DATA_MAX_KB = int(os.environ.get("TASK_DATA_MAX_KB", "2048"))
    # How deeply lists and objects may nest in task data when a step ends
    TASK_DATA_MAX_DEPTH = int(os.environ.get("TASK_DATA_MAX_DEPTH", "32"))

    # Failed sign-ins for one user name from one address within LOGIN_FAILURE_WINDOW_MINUTES that refuse that name
    # from that address until they age out (other addresses may go on signing in with the right password)
    LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", "5"))
    # Longest wait, in seconds after its last failure, of an address that failed for a user name that keeps failing
    LOGIN_LONGEST_WAIT_SECONDS = int(os.environ.get("LOGIN_LONGEST_WAIT_SECONDS", "30"))
    # Failed sign-ins from one address (any user names) within the window that block sign-ins from it
    LOGIN_MAX_FAILURES_PER_IP = int(os.environ.get("LOGIN_MAX_FAILURES_PER_IP", "30"))
    # Minutes a failed sign-in counts against its user name and address
    LOGIN_FAILURE_WINDOW_MINUTES = int(os.environ.get("LOGIN_FAILURE_WINDOW_MINUTES", "15"))
    # Longest a sign-in lasts: the life of the "keep me signed in" cookie, and the age after which any session or
    # cookie of a sign-in is refused
    REMEMBER_COOKIE_DURATION = timedelta(days=int(os.environ.get("REMEMBER_COOKIE_DAYS", "30")))

    # How many reverse proxies (nginx, a load balancer) stand in front of the app and add X-Forwarded-For,
    # -Proto and -Host: the client's address, scheme and host are then taken from those headers, as the last that
    # many hops wrote them (0: the headers are ignored and the address is the connection's, as without a proxy)
    TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
    # Seconds browsers are told to reach the site over HTTPS only (Strict-Transport-Security, on HTTPS responses);
    # 0 sends no such header
    HSTS_MAX_AGE_SECONDS = int(os.environ.get("HSTS_MAX_AGE_SECONDS", "0"))

    # Seconds since a timer worker last finished a pass after which it counts as stalled: /readyz answers 503 and
    # the admin page says so (a pass fires at most 100 cases' timers and runs the sweeps; raise this if passes
    # routinely take longer, as the admin page shows)
    WORKER_HEARTBEAT_MAX_AGE_SECONDS = float(os.environ.get("WORKER_HEARTBEAT_MAX_AGE_SECONDS", "60"))

    # Log level of the application's own log (DEBUG, INFO, WARNING, ERROR)
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    # "text" (one readable line per record) or "json" (one JSON object per line, for a log collector)
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
    # When "1", every request is logged in one line: its request id, user id, method, path, status and duration
    REQUEST_LOG = os.environ.get("REQUEST_LOG", "1") == "1"
    # When "1", requests are timed into /metrics' histograms and /metrics answers (to METRICS_ALLOWED_IPS or the
    # token); "0" turns both off
    METRICS_ENABLED = os.environ.get("METRICS_ENABLED", "1") == "1"
    # Addresses or networks (comma-separated, e.g. 127.0.0.1,10.0.0.0/8) that may read /metrics without a token
    METRICS_ALLOWED_IPS = os.environ.get("METRICS_ALLOWED_IPS", "127.0.0.1,::1")
    # A bearer token that lets any address read /metrics (`Authorization: Bearer <token>`); empty: none does
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
    # A folder where each gunicorn worker process keeps its metrics, so that /metrics adds up all the processes
    # (prometheus_client's multiprocess mode; gunicorn.conf.py empties it at start); empty: each process its own
    PROMETHEUS_MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")

    # werkzeug password hashing method (a strong KDF; tests use a cheap one to stay fast)
    PASSWORD_HASH_METHOD = os.environ.get("PASSWORD_HASH_METHOD", "scrypt")

    # Seconds a pooled database connection may sit unused before it is tested (SELECT 1) on its next use: a connection
    # a server restart broke while idle is replaced unseen, and busy connections skip the round trip (after a
    # restart under load, the first request of each process fails and the pool starts afresh)
    DATABASE_PING_AFTER_IDLE_SECONDS = float(os.environ.get("DATABASE_PING_AFTER_IDLE_SECONDS", "2"))

    # PostgreSQL: whether psycopg prepares the statements a connection runs often (set 0 behind a PgBouncer before
    # 1.21 in transaction pooling mode, which cannot keep a connection's prepared statements)
    DATABASE_PREPARED_STATEMENTS = os.environ.get("DATABASE_PREPARED_STATEMENTS", "1") != "0"

    # Seconds a worker keeps the org unit tree, role labels, deployed processes and stored calendar years before
    # reading them again; a change shows at once in the worker that made it, in the others within this time
    REFERENCE_KEEP_SECONDS = float(os.environ.get("REFERENCE_KEEP_SECONDS", "30"))
    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_ENABLED = True


class DevelopmentConfig(Config):
    """The one-command demo (make run): the defaults above."""


class TestingConfig(Config):
    TESTING = True
    # Database URL for the test run (tests pick SQLite or PostgreSQL themselves)
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    # PostgreSQL server for the PostgreSQL half of the suite (each run makes and drops its own database there);
    # defaults to DATABASE_URL when that is PostgreSQL, else the local server's `test` database
    TEST_POSTGRES_URL = _database_url(os.environ.get("TEST_POSTGRES_URL")) or (
        Config.SQLALCHEMY_DATABASE_URI
        if Config.SQLALCHEMY_DATABASE_URI.startswith("postgresql")
        else "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    # When "1", a missing PostgreSQL fails the suite instead of skipping (CI sets it)
    REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES", "0") == "1"
    # When "1", a missing Chromium fails the browser tests instead of skipping them (CI sets it)
    REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER", "0") == "1"
    # The Chromium that Playwright drives in the browser tests (Debian's package)
    CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    # When "1", the browser tests write screenshots of the pages they walk to test-artifacts/e2e/ (to look at)
    TEST_SCREENSHOTS = os.environ.get("TEST_SCREENSHOTS", "0") == "1"
    WTF_CSRF_ENABLED = False
    INPROCESS_WORKER = False
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"


class ProductionConfig(Config):
    # Cookies only over HTTPS in production (the session and the "keep me signed in" cookie)
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    HSTS_MAX_AGE_SECONDS = int(os.environ.get("HSTS_MAX_AGE_SECONDS", str(365 * 24 * 3600)))


CONFIGS = {"development": DevelopmentConfig, "testing": TestingConfig, "production": ProductionConfig}
# Which configuration class create_app() uses when none is passed
APP_ENV = os.environ.get("APP_ENV", "development")
