"""Valid form markup the Nu HTML Checker asks for (issue 18): a select marked required must
start with an empty option; one whose first option is a value is not marked required (HTML
forbids it) but still tells screen readers that an answer is needed."""

from __future__ import annotations

from html.parser import HTMLParser

from tests.consultations.factories import scheduled


class Selects(HTMLParser):
    """Each select of a page: its attributes and the value of its first option."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.selects: list[dict] = []
        self._open: dict | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "select":
            self._open = {"attrs": dict(attrs), "first": None}
            self.selects.append(self._open)
        elif tag == "option" and self._open is not None and self._open["first"] is None:
            self._open["first"] = dict(attrs).get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._open = None


def test_required_selects_of_the_session_form_start_with_an_empty_option(app, client, login_as):
    login_as("staff", "kikaku")
    made = scheduled(app)
    for url in (
        f"/staff/consultations/sessions/{made.session_id}/edit",
        f"/staff/consultations/{made.consultation_id}/sessions/new",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        selects = Selects(response.text).selects
        assert selects, url
        for select in selects:
            attrs = select["attrs"]
            if "required" in attrs:
                assert select["first"] == "", f"{url}: {attrs.get('name')} starts with a value"
        venue = next(s for s in selects if s["attrs"].get("name") == "venue_id")
        assert "required" not in venue["attrs"]
        assert venue["attrs"].get("aria-required") == "true"
