"""One cache for what is dear to compute and may be a little old: the figures per initiative
and the page fragments built from them (the table, an initiative's activity, the reports).

Flask-Caching, configured from FIGURES_CACHE_SECONDS and CACHE_REDIS_URL:

- FIGURES_CACHE_SECONDS (60 by default) is how long a cached value is fresh; 0 turns caching
  off (the tests change data and read figures at once).
- Without CACHE_REDIS_URL each gunicorn worker keeps its own bounded cache in memory; with it,
  the workers (and servers) share one in Redis, so the figures over a million rows are computed
  once a period for everyone instead of once per worker.

Figures are served stale while one process recomputes them (`cached`): a value is kept
STALE_FACTOR times longer than it is fresh, so when it expires the requests that find it keep
getting it at once while a background thread recomputes it; a lock in the cache lets one
thread at a time do that per key (per worker with the in-memory cache, for all workers with
Redis). Only a key found empty (a cold start) is computed by the request that asks for it.
Page fragments (`{% cache none, key %}`, `FragmentCache`) and whole pages (`kept_page`) are kept
the same way, redrawn in a thread that has a copy of the request context they are drawn in
(their language, their address's query). In such a thread a stale value it reads is computed
again there and then, not served stale: a fragment drawn in the background shows figures at most
one period older than the fragment itself.

Keys name everything a value depends on besides time: the language, the filter, and the plan's
revision for fragments that show the plan's texts (an edit to the table shows at once).

Values that must be current at once (the session list's places) are kept under a generation
that every commit writing their tables changes (`watch`, `with_generation`), where the cache
is shared.
"""

from __future__ import annotations

import hashlib
import os
import sys
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from functools import cache as cache_for_process
from functools import partial
from pathlib import Path
from time import time
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import (
    Flask,
    Response,
    copy_current_request_context,
    current_app,
    g,
    has_app_context,
    has_request_context,
    make_response,
    request,
    session,
)
from flask_caching import make_template_fragment_key
from flask_caching.jinja2ext import CacheExtension
from flask_login import current_user
from sqlalchemy import orm

from app.core.db import in_background
from app.extensions import cache, db

KEY_PREFIX = "sankaku:"
# A value stays in the cache this many times its fresh period, to be served while it is
# recomputed; an entry nobody asked for in that long is computed afresh by its next request.
STALE_FACTOR = 10
# How much a thread recomputing a stale value lowers its CPU priority (nice), see `_yielding`.
BACKGROUND_NICENESS = 10

T = TypeVar("T")


def cache_config(config: dict[str, Any]) -> dict[str, Any]:
    """Flask-Caching's settings for an app's configuration."""
    seconds = int(config.get("FIGURES_CACHE_SECONDS", 0))
    if seconds <= 0:
        return {"CACHE_TYPE": "NullCache", "CACHE_NO_NULL_WARNING": True}
    settings: dict[str, Any] = {
        "CACHE_DEFAULT_TIMEOUT": seconds,
        # Two deployments (or a test run beside a server) sharing one Redis each keep their own.
        "CACHE_KEY_PREFIX": config.get("CACHE_KEY_PREFIX") or KEY_PREFIX,
    }
    if config.get("CACHE_REDIS_URL"):
        settings.update(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=config["CACHE_REDIS_URL"])
    else:
        # Filters are chosen by visitors (years × ward × department), so the cache is bounded.
        settings.update(
            CACHE_TYPE="SimpleCache", CACHE_THRESHOLD=config.get("CACHE_THRESHOLD", 500)
        )
    return settings


def init_cache(app: Flask) -> None:
    config = cache_config(app.config)
    cache.init_app(app, config=config)
    app.extensions["sankaku_shared_cache"] = config["CACHE_TYPE"] == "RedisCache"
    app.jinja_env.add_extension(FragmentCache)
    app.teardown_request(_redraw_after)
    app.jinja_env.globals["fragment_key"] = fragment_key


def fragment_key(name: str, *parts: Any) -> str:
    """The key of a cached page fragment (`{% cache none, key %}`): its name, the page's
    language and everything else the fragment shows besides time."""
    from app.core.i18n import current_language

    return "-".join([name, current_language(), *map(str, parts)])


def cached(key: str, compute: Callable[[], T], fresh_seconds: int | None = None) -> T:
    """The value cached under `key`, computed by `compute` (with the app context, no request)
    when absent; once it is older than `fresh_seconds` (FIGURES_CACHE_SECONDS by default) it is
    still returned at once, and the first request to find it so starts its recomputation.

    The recomputation runs in a thread rather than after the response (Werkzeug's
    `call_on_close`): under gunicorn's sync workers the latter would keep the worker from
    taking another request for the seconds national figures take, so the visitors queued
    behind it would wait after all; a thread leaves the worker serving while the SQL runs in the
    database (or in sqlite3, which releases the GIL). It works the same under the test client.
    """
    entry = _entry(cache.get(key))
    if entry is None:
        value = compute()
        store(key, value, fresh_seconds)
        return value
    until, value = entry
    if time() >= until and _claim(key, fresh_seconds):
        return _recomputed_behind(key, compute, fresh_seconds, value, in_request=False)
    return value


def _entry(found: Any) -> tuple[float, Any] | None:
    """A cached (fresh until, value) pair. Anything else is a miss: nothing cached (or NullCache
    with FIGURES_CACHE_SECONDS 0), or an entry written before values carried their freshness."""
    return found if isinstance(found, tuple) and len(found) == 2 else None


def drawn(key: str, draw: Callable[[], str], fresh_seconds: int | None = None) -> str:
    """A page fragment cached under `key`, drawn by `draw` in this request when absent. Once
    older than `fresh_seconds` (FIGURES_CACHE_SECONDS by default) it is still served at once
    while a thread with a copy of this request's context draws it again: no visitor of a busy
    page waits for a fragment to be redrawn. (Flask-Caching's own tag had one in every worker
    wait, with the requests queued behind each; drawing it in the request that won the lock
    still had that one wait: /voice/'s list, a third of a second at national scale, was its
    page's maximum.)"""
    entry = _entry(cache.get(key))
    if entry is None:
        html = draw()
        store(key, html, fresh_seconds)
        return html
    until, html = entry
    now = time()
    if now < until or not _claim(key, fresh_seconds):
        return str(html)
    if now >= until + _period(fresh_seconds):
        # Nobody asked for it during a whole period after it went stale (and nobody is drawing
        # it: the claim): drawn here, as on a cold start. What a busy page serves stale is
        # seconds old; a quiet page's visitor is not shown a list up to ten periods old.
        return _renew(key, draw, fresh_seconds)
    return str(_recomputed_behind(key, draw, fresh_seconds, html, in_request=has_request_context()))


class FragmentCache(CacheExtension):
    """Flask-Caching's `{% cache timeout, key %}` tag (its parser), with its fragments kept as
    `drawn` keeps them: a number for timeout is the fragment's fresh period, none the figures'."""

    def _cache(
        self, timeout: Any, fragment_name: str, vary_on: list[str], caller: Callable[[], str]
    ) -> str:
        fresh = timeout if isinstance(timeout, int) and timeout > 0 else None
        return drawn(make_template_fragment_key(fragment_name, vary_on=vary_on), caller, fresh)


def fresh_until(keys: list[str]) -> list[float | None]:
    """When the value under each key goes stale (None where nothing is cached), read together:
    one round trip to Redis."""
    if not keys:
        return []
    entries = [_entry(found) for found in cache.get_many(*keys)]
    return [float(entry[0]) if entry else None for entry in entries]


def store(key: str, value: Any, fresh_seconds: int | None = None) -> None:
    """Put a value in the cache, fresh for `fresh_seconds` (FIGURES_CACHE_SECONDS by default)
    and kept STALE_FACTOR times as long to be served while it is recomputed."""
    if fresh_seconds is None:
        fresh_seconds = current_app.config["FIGURES_CACHE_SECONDS"]
    # Wall time, not core.clock: a test that moves the clock for deadlines must not age the
    # cache, and the workers sharing Redis compare one another's times.
    cache.set(key, (time() + fresh_seconds, value), timeout=fresh_seconds * STALE_FACTOR)


# Set in the threads that recompute stale values: what they read stale they compute again.
_background = threading.local()
# The fragments this request found stale and claimed, drawn after it (`_redraw_after`).
_PENDING = "sankaku_stale_fragments"


def _recomputed_behind(
    key: str, compute: Callable[[], T], fresh_seconds: int | None, stale: T, *, in_request: bool
) -> T:
    """What to serve for `key`, found stale and claimed: the stale value, once its
    recomputation is under way behind this request. In a thread doing such work itself (a
    fragment drawn in the background reading figures gone stale meanwhile) it is computed at
    once: nobody waits for that thread, and what it draws then shows this period's figures."""
    if getattr(_background, "active", False):
        return _renew(key, compute, fresh_seconds)
    if in_request:
        # Drawn once the response is built (`_redraw_after`), with this request's context.
        g.setdefault(_PENDING, []).append((key, compute, fresh_seconds))
        return stale
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def recompute() -> None:
        with app.app_context():
            _renew_in_background([(key, compute, fresh_seconds)])

    threading.Thread(target=recompute, name=f"recompute {key}", daemon=True).start()
    return stale


def _redraw_after(error: BaseException | None) -> None:
    """Draw the fragments (and kept pages) this request served stale, in one thread with a copy
    of its context (its language, its address's query, url_for), handed the request's database
    session. A fragment's drawing reads through what the view loaded (a survey's deferred
    results, a plan's texts), and those objects belong to that session: in a session of its
    own the thread found them detached (DetachedInstanceError). The request is done with the
    session (this runs as it is torn down, before Flask-SQLAlchemy would close it); the thread
    closes it at the end. Only a read (GET or HEAD, nothing pending in the session) hands its
    session over, so no lock a write took is held the longer: after any other request the
    claims are let go and a later visitor's request starts the drawing."""
    pending = g.pop(_PENDING, None)
    if not pending:
        return
    handed = db.session() if db.session.registry.has() else None
    writing = handed is not None and bool(handed.new or handed.dirty or handed.deleted)
    if error is not None or request.method not in ("GET", "HEAD") or writing:
        cache.delete_many(*(f"recomputing:{key}" for key, _draw, _fresh in pending))
        return
    if handed is not None:
        db.session.registry.clear()  # so that Flask-SQLAlchemy's teardown leaves it open
    work = copy_current_request_context(partial(_renew_in_background, pending, handed))
    threading.Thread(target=work, name=f"recompute {pending[0][0]}", daemon=True).start()


def _renew_in_background(
    jobs: list[tuple[str, Callable[[], Any], int | None]], handed: orm.Session | None = None
) -> None:
    """The body of a thread computing stale values again (their claims held), in an app
    context of its own: at a lower CPU priority, without PostgreSQL's parallel workers, in the
    database session `handed` to it (else one of its own), closed at the end. Each failure is
    logged and holds its claim a period (`_renew`)."""
    _background.active = True
    _yielding()
    if handed is not None:
        db.session.registry.set(handed)
    try:
        in_background()
        for key, compute, fresh_seconds in jobs:
            try:
                _renew(key, compute, fresh_seconds)
            except Exception:
                current_app.logger.exception("recomputing the cached %s failed", key)
    except Exception:
        current_app.logger.exception("recomputing the cached %s failed", jobs[0][0])
    finally:
        db.session.remove()


def _yielding() -> None:
    """Lower this thread's CPU priority: no visitor waits for it, while the requests of its own
    worker and of the others beside it do wait for the cores it would take. Without Redis the
    figures' SQL runs in this thread (sqlite3 releases the GIL while a statement runs), up to a
    second of a core at national scale, once a period in each worker; at its ordinary priority
    the requests of that second queue behind it (the maxima of issue 23). On Linux the nice
    value belongs to the thread, and the thread ends with its recomputation; elsewhere, or where
    the system refuses, it runs at the worker's priority as before (elsewhere a thread's id
    may name a process)."""
    if sys.platform != "linux":
        return
    thread = threading.get_native_id()
    try:
        niceness = os.getpriority(os.PRIO_PROCESS, thread)
        os.setpriority(os.PRIO_PROCESS, thread, min(19, niceness + BACKGROUND_NICENESS))
    except OSError:  # a sandbox that refuses
        pass


def _period(fresh_seconds: int | None) -> int:
    return fresh_seconds or current_app.config["FIGURES_CACHE_SECONDS"]


def _claim(key: str, fresh_seconds: int | None) -> bool:
    """Whether this thread may compute `key`'s stale value again: `cache.add` is atomic (SETNX
    on Redis, under a lock in memory), so one thread per key wins it. Held at most as long as a
    value is kept: far longer than any computation, and a worker killed while computing holds
    it no longer than the stale value lasts anyway.

    A recomputation that finished between this thread's read of the stale value and its claim
    has stored a fresh value and let its claim go: the claim is then let go again at once, and
    the caller serves what it read, rather than computing the value a second time in the same
    period (which a visitor polling a page through a redraw did, on Redis)."""
    lock = f"recomputing:{key}"
    if not cache.add(lock, 1, timeout=_period(fresh_seconds) * STALE_FACTOR):
        return False
    entry = _entry(cache.get(key))
    if entry is not None and time() < entry[0]:
        cache.delete(lock)
        return False
    return True


def _renew(key: str, compute: Callable[[], T], fresh_seconds: int | None) -> T:
    """Compute `key`'s value afresh (the lock claimed), store it and let the lock go. After a
    failure the lock is held a period: retried once a period, not by every request meanwhile,
    which keep the stale value."""
    lock = f"recomputing:{key}"
    try:
        value = compute()
    except Exception:
        cache.set(lock, 1, timeout=_period(fresh_seconds))
        raise
    store(key, value, fresh_seconds)
    cache.delete(lock)
    return value


# Generations ---------------------------------------------------------------------------------
#
# A generation names a set of tables whose rows some cached value is drawn from: it changes after
# every commit that wrote one of them, so a value stored with the generation it was read under
# is known to be current while the generation holds, without asking the database. Kept in the
# cache itself, hence only where the cache is shared by every process (Redis): a generation kept
# in one gunicorn worker's memory would not see the other workers' writes, and readers there are
# told so (`with_generation` gives None) and ask the database as before.

_WATCHED: dict[type, set[str]] = {}
_CHANGED = "sankaku_changed_generations"


def watch(name: str, models: Iterable[type]) -> None:
    """Let generation `name` change after every commit that adds, changes or deletes a row of
    one of `models` through the ORM. A statement that writes their tables directly (Core) says
    so with `changed`."""
    for model in models:
        _WATCHED.setdefault(model, set()).add(name)


def changed(name: str) -> None:
    """Generation `name` changes when the current transaction commits (a Core write)."""
    db.session.info.setdefault(_CHANGED, set()).add(name)


def with_generation(name: str, key: str) -> tuple[str | None, Any]:
    """The current generation `name` (None where the cache is not shared) and the value cached
    under `key`, read together: one round trip to Redis."""
    if not shared_cache():
        return None, None
    found, value = cache.get_many(_generation_key(name), key)
    return _generation_of(name, found), value


def shared_cache() -> bool:
    """Whether every process reads and writes one cache (Redis), as `cache_config` chose."""
    return bool(current_app.extensions.get("sankaku_shared_cache"))


def _generation_key(name: str) -> str:
    return f"generation:{name}"


def _generation_of(name: str, found: Any) -> str:
    if found is not None:
        return str(found)
    # None yet (a new cache, or the key evicted): start one. Whoever adds first sets it.
    fresh = uuid.uuid4().hex
    if cache.add(_generation_key(name), fresh, timeout=0):
        return fresh
    return str(cache.get(_generation_key(name)) or fresh)


@sa.event.listens_for(orm.Session, "after_flush")
def _note_changes(db_session: orm.Session, _context: Any) -> None:
    if not _WATCHED:
        return
    names: set[str] = set()
    for instance in (*db_session.new, *db_session.dirty, *db_session.deleted):
        names.update(_WATCHED.get(type(instance), ()))
    if names:
        db_session.info.setdefault(_CHANGED, set()).update(names)


@sa.event.listens_for(orm.Session, "after_commit")
def _raise_generations(db_session: orm.Session) -> None:
    names = db_session.info.pop(_CHANGED, None)
    if not names or not has_app_context() or not shared_cache():
        return
    # A new value, never expiring: any change of it tells readers their values are old.
    try:
        cache.set_many({_generation_key(name): uuid.uuid4().hex for name in names}, timeout=0)
    except Exception:
        # The write is committed: failing its request now would have it sent again. Values
        # kept under the old generation expire within FIGURES_CACHE_SECONDS.
        current_app.logger.exception("raising the cache generations %s failed", sorted(names))


@sa.event.listens_for(orm.Session, "after_rollback")
def _forget_changes(db_session: orm.Session) -> None:
    db_session.info.pop(_CHANGED, None)


# Conditional GET ---------------------------------------------------------------------------


@cache_for_process
def _release() -> str:
    """What the pages' markup and wording come from in this deployment: every template and
    compiled catalogue under the app, by name, size and modification time. A deployment that
    changes any of them changes every page's ETag; the workers of one deployment agree."""
    root = Path(current_app.root_path)
    digest = hashlib.sha256()
    for path in sorted([*root.rglob("*.html"), *root.parent.glob("translations/*/*/*.mo")]):
        stat = path.stat()
        digest.update(
            f"{path.relative_to(root.parent)}:{stat.st_size}:{stat.st_mtime_ns};".encode()
        )
    return digest.hexdigest()[:16]


VALIDATOR_SECONDS = 3600


def kept_page(key: str, render: Callable[[], str], query: Mapping[str, Any] | None = None) -> str:
    """The page `render` draws, kept whole under `key` (all it shows besides time: its
    version, language, filter) for anonymous visitors of an address with no query and no
    message waiting, as a fragment is kept (`drawn`); drawn each time for everyone else.

    Without a query (a list's first page, unfiltered: where visitors land) a page is the same
    for every anonymous visitor; drawing its form and frame was half of /voice/'s time.
    Addresses with another query are drawn each time, so no visitor can fill the cache with
    made-up ones. A view whose query is one of a few choices it has checked (a statistics
    year) passes the choice shown as `query`: an address asking for exactly that is kept too,
    so the addresses kept are as few as the choices."""
    if not _same_for_every_visitor() or not _asks_for(query or {}):
        return render()
    return drawn(f"page:{key}", render)


def _asks_for(query: Mapping[str, Any]) -> bool:
    """Whether the address has no query or exactly `query`, each name once."""
    asked = request.args.to_dict(flat=False)
    return not asked or asked == {name: [str(value)] for name, value in query.items()}


def _same_for_every_visitor() -> bool:
    """Whether the page is drawn for an anonymous visitor with no message waiting: a signed-in
    page carries the visitor's name and forms with their tokens."""
    return bool(current_user.is_anonymous) and not session.get("_flashes")


def versioned_page(
    key: str, render: Callable[[], str], query: Mapping[str, Any] | None = None
) -> Response:
    """A public page whose content has a version (its fragment `key`: the version, language,
    filter and page): served with an ETag and `Cache-Control: no-cache`, so a visitor's browser
    asks again each time and gets 304 Not Modified, without the page being built, while the
    version holds; and kept whole for other visitors where its address has no query (or the
    checked choice `query`, `kept_page`). Only for anonymous visitors with no message waiting
    (`_same_for_every_visitor`)."""
    if not _same_for_every_visitor():
        return make_response(render())
    # The hour is part of the tag: what a page shows besides its version (a department's new
    # name in a filter, the header) is at most an hour old in a browser that revalidates.
    hour = int(time() // VALIDATOR_SECONDS)
    tag = hashlib.sha256(f"{_release()}|{hour}|{key}".encode()).hexdigest()[:32]
    if request.if_none_match.contains(tag):
        response = current_app.response_class(status=304)
    else:
        response = make_response(kept_page(tag, render, query))
    response.set_etag(tag)
    response.cache_control.no_cache = True
    response.vary.update(("Cookie", "Accept-Language"))
    return response
