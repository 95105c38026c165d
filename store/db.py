"""Engine and session factory. The caller owns each transaction through `session_scope`."""

from __future__ import annotations

import logging
import os
import select
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote, unquote

from sqlalchemy import Connection, Engine, create_engine, event, exc, text
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

# Slack waits 3 s for an answer: on the request path no database wait may come near that.
CONNECT_TIMEOUT_SECONDS = 2  # libpq's smallest connect_timeout
STATEMENT_TIMEOUT_SECONDS = 1.5
POOL_TIMEOUT_SECONDS = 1.0  # waiting for a free connection
PING_TIMEOUT_SECONDS = 0.5  # a reused connection's "SELECT 1" before a request uses it
# ... when it has been idle this long: under load connections come back within milliseconds,
# and a ping on each checkout was a round trip in every request (a tenth of a /canwe's time);
# a connection that died meanwhile fails its first statement, cut off by the watchdog
PING_AFTER_IDLE_SECONDS = 2.0
# connections per process: request threads (REQUEST_THREADS) plus the workers and /healthz
POOL_SIZE = 10
MAX_OVERFLOW = 10
WORKER_CONNECTIONS = 4


def make_engine(database_url: str, *, request_timeouts: bool = False) -> Engine:
    """The engine for `database_url`.

    With `request_timeouts` (what `canwe serve` uses) no call waits long on the database:
    connecting, waiting for a connection or a lock, and each statement are bounded, and on
    PostgreSQL a statement whose server does not answer at all (a network partition, where
    the server-side statement_timeout never fires) is cut off by the client (`_Watchdog`).
    Without it (imports, migrations, batch commands) long statements are allowed.
    """
    if database_url.startswith("postgresql://"):
        # psycopg 3 is the driver we ship; plain postgresql:// would ask for psycopg2
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    database_url = _password_encoded(database_url)
    if database_url.startswith("sqlite"):
        busy_seconds = STATEMENT_TIMEOUT_SECONDS if request_timeouts else 30
        engine = create_engine(
            database_url,
            connect_args={"timeout": busy_seconds},
            **_pool_arguments(request_timeouts),
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    if not request_timeouts:
        return create_engine(database_url, pool_pre_ping=True)
    milliseconds = int(STATEMENT_TIMEOUT_SECONDS * 1000)
    engine = create_engine(
        database_url,
        connect_args={
            "connect_timeout": CONNECT_TIMEOUT_SECONDS,
            "options": f"-c statement_timeout={milliseconds} -c lock_timeout={milliseconds}",
        },
        **_pool_arguments(request_timeouts),
    )
    # the server's own timeouts fire first; the watchdog is for a server that cannot answer
    _Watchdog(limit=STATEMENT_TIMEOUT_SECONDS + 1.0).watch(engine)
    return engine


def _password_encoded(url: str) -> str:
    """The URL with a password that holds an unencoded `@` (or `/`, `?`, `#`) encoded:
    SQLAlchemy would otherwise read part of the password as the host name."""
    scheme, separator, rest = url.partition("://")
    if not separator or rest.count("@") < 2:
        return url
    credentials, _, location = rest.rpartition("@")
    user_name, has_password, password = credentials.partition(":")
    if not has_password:
        return url
    return f"{scheme}://{user_name}:{quote(unquote(password), safe='')}@{location}"


def _pool_arguments(request_timeouts: bool) -> dict:
    if not request_timeouts:
        return {}
    return {
        "pool_size": POOL_SIZE,
        "max_overflow": MAX_OVERFLOW,
        "pool_timeout": POOL_TIMEOUT_SECONDS,
    }


def request_threads(engine: Engine) -> int:
    """How many Slack requests may use the database at once: the pool, less what the workers
    and /healthz need, so a request thread never waits for a connection."""
    pool = engine.pool
    size = getattr(pool, "size", lambda: POOL_SIZE)() + getattr(pool, "_max_overflow", 0)
    return max(2, size - WORKER_CONNECTIONS)


class _Watchdog:
    """Cuts off a PostgreSQL connection that has waited on the server longer than `limit`.

    psycopg blocks until the server answers; a partitioned server never does, and its own
    statement_timeout cannot fire. The watchdog shuts the connection's socket down, so the
    waiting call fails at once with a disconnect error (the pool then drops the connection).
    The pool's ping of a reused connection is done here too, under the same limit, instead
    of SQLAlchemy's pre-ping (which no event covers).
    """

    def __init__(self, limit: float):
        self.limit = limit
        self._busy: dict[int, tuple[float, object]] = {}  # id(dbapi conn) -> (deadline, conn)
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def watch(self, engine: Engine) -> None:
        event.listen(engine, "before_cursor_execute", self._before_execute)
        event.listen(engine, "after_cursor_execute", self._after_execute)
        event.listen(engine, "handle_error", self._on_error)
        event.listen(engine.pool, "checkout", self._ping_on_checkout)
        # commit and rollback wait on the server too; the connection is free again at checkin
        event.listen(engine, "commit", self._arm_connection)
        event.listen(engine, "rollback", self._arm_connection)
        event.listen(engine.pool, "reset", self._arm_reset)
        event.listen(engine.pool, "checkin", self._disarm_checkin)
        # code that goes straight to the driver (store/search.py) finds the watchdog here
        event.listen(engine.pool, "connect", self._remember)

    def _remember(self, _dbapi_connection, record) -> None:
        record.info[_WATCHDOG] = self

    def _before_execute(self, conn, _cursor, _statement, _parameters, _context, _many) -> None:
        self._arm(conn.connection.dbapi_connection)

    def _after_execute(self, conn, _cursor, _statement, _parameters, _context, _many) -> None:
        self._disarm(conn.connection.dbapi_connection)

    def _on_error(self, context) -> None:
        try:
            dbapi_connection = context.connection.connection.dbapi_connection
        except (AttributeError, exc.SQLAlchemyError):
            return
        self._disarm(dbapi_connection)

    def _arm_connection(self, conn) -> None:
        try:
            dbapi_connection = conn.connection.dbapi_connection
        except exc.SQLAlchemyError:  # already invalidated: nothing waits on the server
            return
        if dbapi_connection is not None:
            self._arm(dbapi_connection)

    def _arm_reset(self, dbapi_connection, _record, _state=None) -> None:
        self._arm(dbapi_connection)

    def _disarm_checkin(self, dbapi_connection, record) -> None:
        if dbapi_connection is not None:
            self._disarm(dbapi_connection)
            record.info[_CHECKED_IN] = time.monotonic()

    def _ping_on_checkout(self, dbapi_connection, record, _proxy) -> None:
        idle_since = record.info.get(_CHECKED_IN)
        if idle_since is not None and time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        self._arm(dbapi_connection, PING_TIMEOUT_SECONDS)
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
        except Exception as error:  # a dead connection: the pool retries with a fresh one
            raise exc.DisconnectionError(str(error)) from error
        finally:
            self._disarm(dbapi_connection)

    def _arm(self, dbapi_connection, limit: float | None = None) -> None:
        deadline = time.monotonic() + (limit or self.limit)
        with self._lock:
            self._busy[id(dbapi_connection)] = (deadline, dbapi_connection)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="canwe-db-watchdog", daemon=True
                )
                self._thread.start()

    def _disarm(self, dbapi_connection) -> None:
        with self._lock:
            self._busy.pop(id(dbapi_connection), None)

    def _run(self) -> None:
        while True:
            self._wake.wait(0.1)
            now = time.monotonic()
            with self._lock:
                late = [conn for key, (deadline, conn) in self._busy.items() if deadline <= now]
                for conn in late:
                    self._busy.pop(id(conn), None)
            for conn in late:
                if _answered(conn):
                    # the server did answer: its thread has not read it yet (a busy process)
                    self._arm(conn)
                else:
                    _cut_off(conn)


_WATCHDOG = "canwe_watchdog"
_CHECKED_IN = "canwe_checked_in"  # when the pool last got the connection back (monotonic)


@contextmanager
def watched(connection: Connection) -> Iterator[object]:
    """The DB-API connection under `connection`, for statements run on it directly: they
    skip SQLAlchemy's events, so the watchdog is armed around them here. A connection the
    watchdog cut off is invalidated, so the pool drops it as it would after its own call."""
    dbapi_connection = connection.connection.dbapi_connection
    watchdog = connection.info.get(_WATCHDOG)
    if watchdog is not None:  # None: SQLite, or no request timeouts
        watchdog._arm(dbapi_connection)
    try:
        yield dbapi_connection
    except connection.dialect.loaded_dbapi.Error as error:
        lost = bool(getattr(dbapi_connection, "closed", False))
        if lost:
            connection.invalidate(error)
        raise driver_error(connection, error, invalidated=lost) from error
    finally:
        if watchdog is not None:
            watchdog._disarm(dbapi_connection)


def driver_error(connection: Connection, error: Exception, *, invalidated: bool = False):
    """A DB-API error raised by the driver directly, as SQLAlchemy would have raised it:
    callers catch SQLAlchemyError (sync, say) whether or not SQLAlchemy ran the statement."""
    return exc.DBAPIError.instance(
        None,
        None,
        error,
        connection.dialect.loaded_dbapi.Error,
        connection_invalidated=invalidated,
        dialect=connection.dialect,
    )


def _answered(dbapi_connection) -> bool:
    """Whether the server has sent something (a result, an error, a close) not yet read."""
    try:
        readable, _, _ = select.select([dbapi_connection.pgconn.socket], [], [], 0)
    except Exception:  # closed already: nothing to cut off
        return True
    return bool(readable)


def _cut_off(dbapi_connection) -> None:
    """Shut the connection's socket down: the thread waiting on it gets an error at once."""
    try:
        fd = dbapi_connection.pgconn.socket
        with socket.socket(fileno=os.dup(fd)) as sock:
            sock.shutdown(socket.SHUT_RDWR)
        log.warning("database did not answer in time: connection cut off")
    except Exception as error:  # already closed: nothing is waiting on it
        log.debug("could not cut off a database connection: %s", error)


def make_session_factory(engine: Engine, workspace_id: int | None = None) -> sessionmaker[Session]:
    """Sessions for one workspace's rows (store/tenancy.py); by default the first workspace,
    which is the only one of a single-token deployment."""
    from store.tenancy import DEFAULT_WORKSPACE, session_factory

    return session_factory(engine, DEFAULT_WORKSPACE if workspace_id is None else workspace_id)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit on success, roll back on error, always close."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def ping(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
