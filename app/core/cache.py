"""One cache for what is dear to compute and may be a little old: the figures per initiative
and the page fragments built from them (the table, an initiative's activity, the reports).

Flask-Caching, configured from FIGURES_CACHE_SECONDS and CACHE_REDIS_URL:

- FIGURES_CACHE_SECONDS (60 by default) is how old a cached value may be; 0 turns caching off
  (the tests change data and read figures at once).
- Without CACHE_REDIS_URL each gunicorn worker keeps its own bounded cache in memory; with it,
  the workers (and servers) share one in Redis, so the figures over a million rows are computed
  once a period for everyone instead of once per worker.

Keys name everything a value depends on besides time: the language, the filter, and the plan's
revision for fragments that show the plan's texts (an edit to the table shows at once).
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from app.extensions import cache

KEY_PREFIX = "sankaku:"


def cache_config(config: dict[str, Any]) -> dict[str, Any]:
    """Flask-Caching's settings for an app's configuration."""
    seconds = int(config.get("FIGURES_CACHE_SECONDS", 0))
    if seconds <= 0:
        return {"CACHE_TYPE": "NullCache", "CACHE_NO_NULL_WARNING": True}
    settings: dict[str, Any] = {"CACHE_DEFAULT_TIMEOUT": seconds, "CACHE_KEY_PREFIX": KEY_PREFIX}
    if config.get("CACHE_REDIS_URL"):
        settings.update(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=config["CACHE_REDIS_URL"])
    else:
        # Filters are chosen by visitors (years × ward × department), so the cache is bounded.
        settings.update(
            CACHE_TYPE="SimpleCache", CACHE_THRESHOLD=config.get("CACHE_THRESHOLD", 500)
        )
    return settings


def init_cache(app: Flask) -> None:
    cache.init_app(app, config=cache_config(app.config))
    app.jinja_env.globals["fragment_key"] = fragment_key


def fragment_key(name: str, *parts: Any) -> str:
    """The key of a cached page fragment (`{% cache none, key %}`): its name, the page's
    language and everything else the fragment shows besides time."""
    from app.core.i18n import current_language

    return "-".join([name, current_language(), *map(str, parts)])
