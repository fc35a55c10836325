"""Feeds other programs read: Atom documents, and conditional GET for every feed (Atom and
iCalendar alike).

Atom is built with feedgen, which writes through lxml: every value is escaped as text, so a title
typed as `R&D <b>案</b>` stays that text in a subscriber's reader instead of breaking the XML
for everyone or injecting markup. A feed's addresses are absolute, on PUBLIC_BASE_URL
(`app.core.urls.public_url`), never on the Host header a request happened to send.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from feedgen.feed import FeedGenerator
from flask import Response, current_app, request
from flask_babel import gettext as _

from app.core import clock
from app.core.i18n import current_language
from app.core.urls import public_url

ATOM_MIMETYPE = "application/atom+xml"

# Characters XML 1.0 cannot carry at all, even escaped (C0 controls other than tab and line
# ends, lone surrogates, U+FFFE/U+FFFF); lxml refuses them, so a pasted control character
# would otherwise turn a feed into a 500.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class AtomEntry:
    """One entry: `url` is absolute and serves as the entry's permanent id as well."""

    url: str
    title: str
    updated: datetime
    published: datetime | None = None
    summary: str = ""
    category: tuple[str, str] | None = None  # (term, label)


def conditional(response: Response, last_modified: datetime | None = None) -> Response:
    """Let a feed reader or calendar poll cheaply: a strong ETag from a hash of the body, the
    Last-Modified date where the caller knows one, and 304 Not Modified (no body) when the
    request's If-None-Match or If-Modified-Since says the reader has this version already.
    If-None-Match wins over If-Modified-Since when both are sent (RFC 9110 13.2.2), so a feed
    that lost an entry without a newer date is still sent again to readers that send the ETag."""
    response.add_etag()
    if last_modified is not None:
        # HTTP dates have whole seconds, and a date ahead of the server's clock is not allowed.
        response.last_modified = min(last_modified, clock.now()).replace(microsecond=0)
    return response.make_conditional(request)


def atom_response(
    *, title: str, self_url: str, page_url: str, entries: Sequence[AtomEntry]
) -> Response:
    """An Atom feed of `entries` (given newest first), answered with conditional GET.

    The feed's `updated` is its newest entry's; no date in the feed lies ahead of the clock (an
    entry dated by a future day, such as an upcoming session, is dated now at the latest). An
    empty feed is dated at the start of today (Japan time), which stays the same all day, so
    that polling it still gets 304s."""
    now = clock.now()
    generator = FeedGenerator()
    generator.id(self_url)
    generator.title(_xml_text(title))
    generator.link(href=self_url, rel="self", type=ATOM_MIMETYPE)
    generator.link(href=page_url, rel="alternate", type="text/html")
    generator.language(current_language())
    generator.author(name=_("Kumamoto City"))
    generator.generator("Sankaku")
    newest = None
    for item in entries:
        updated = min(item.updated, now)
        newest = updated if newest is None else max(newest, updated)
        entry = generator.add_entry(order="append")
        entry.id(item.url)
        entry.title(_xml_text(item.title))
        entry.link(href=item.url, rel="alternate", type="text/html")
        entry.updated(updated)
        if item.published is not None:
            entry.published(min(item.published, updated))
        if item.summary:
            entry.summary(_xml_text(item.summary))
        if item.category is not None:
            entry.category(term=item.category[0], label=_xml_text(item.category[1]))
    if newest is None:
        newest = clock.start_of_today()
    generator.updated(newest)
    response = Response(generator.atom_str(pretty=True), mimetype=ATOM_MIMETYPE)
    return conditional(response, last_modified=newest)


def feed_url(endpoint: str, **values: Any) -> str:
    """A feed's own absolute address: the language stays in it when the reader subscribed to
    one by ?lang=, so that the English feed's id and self link are not the Japanese feed's."""
    if request.args.get("lang"):
        values["lang"] = current_language()
    return public_url(endpoint, **values)


def public_path(path: str) -> str:
    """An absolute address on PUBLIC_BASE_URL for a path already made by url_for (an
    ActivityRecord's url)."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def _xml_text(value: str) -> str:
    return _NOT_XML.sub("", str(value))
