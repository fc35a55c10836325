"""The .ics feeds read by two independent iCalendar parsers (icalendar and vobject), with a
called-off session kept as CANCELLED rather than dropped."""

from __future__ import annotations

import icalendar
import vobject

from app.accounts.models import User
from app.consultations import services
from app.extensions import db
from tests.consultations.factories import scheduled

FEEDS = ["/consultations/feed.ics", "/consultations/wards/chuo/feed.ics"]


def _both(data: bytes) -> tuple[list, list]:
    """The VEVENTs as each parser reads them (both must accept the whole document)."""
    text = data.decode("utf-8")
    first = icalendar.Calendar.from_ical(data).walk("VEVENT")
    second = vobject.readOne(text)
    return first, list(getattr(second, "vevent_list", []))


def test_every_feed_parses_in_two_parsers_with_the_session_facts(app, client, plan):
    ids = scheduled(app)
    urls = [*FEEDS, f"/consultations/sessions/{ids.session_id}/session.ics"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        first, second = _both(response.data)
        assert len(first) == len(second) == 1, url
        event, other = first[0], second[0]
        link = f"http://localhost/consultations/sessions/{ids.session_id}"
        assert str(event["url"]) == link and other.url.value == link
        assert link in str(event["description"]) and link in other.description.value
        assert int(event["sequence"]) == 0 and int(other.sequence.value) == 0
        assert event["last-modified"].dt is not None and other.last_modified.value is not None
        assert str(event["uid"]) == other.uid.value


def test_a_called_off_session_stays_in_the_feeds_as_cancelled(app, client, make_user, plan):
    ids = scheduled(app)
    staff = make_user("staff", "kikaku")
    with app.app_context():
        services.cancel_session(db.session.get(User, staff.id), ids.session_id, "台風のため")
    urls = [*FEEDS, f"/consultations/sessions/{ids.session_id}/session.ics"]
    for url in urls:
        first, second = _both(client.get(url).data)
        assert [str(e["status"]) for e in first] == ["CANCELLED"], url
        assert [e.status.value for e in second] == ["CANCELLED"], url
        # Raised with the calling off, so calendars replace the copy they hold.
        assert int(first[0]["sequence"]) == 1
