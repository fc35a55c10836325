"""No public output of the site carries a sender's personal data or own words: voices with
marker values go the whole way through the services (routed, answered, published, withdrawn
because the summary identified the sender, published again corrected, followed up), then every
public page of the module, its exports, the API, the open-data catalogue with its files and the
feeds are fetched and searched for the markers.

The pages come from the URL map (every GET rule of the `voice` blueprint, the API's own
OpenAPI document, the catalogue's links), so a page added later is searched too."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import template_rendered

from app.accounts.models import User
from app.core.i18n import fiscal_year
from app.extensions import cache, db
from app.voice import services
from app.voice.models import AgeBand, Reflection, ReplyBy, ResponseKind, Voice
from tests.conftest import Auth
from tests.voice.conftest import SENDER, department_id, make_voice, ward_id

# The sender's own title and words: the public reads only what the city wrote.
OWN_TITLE = "送り主自身の件名MARKER"
OWN_BODY = "送り主自身の本文です。MARKER-BODY"
# What a first publication wrongly said (it identified the sender) before it was withdrawn.
MISTAKE = "千葉城町の角の家に住む者"

# The sender's own pages (reached by a private link, the session that sent, or the account):
# personal by design, marked no-store, and not public.
PERSONAL_ENDPOINTS = {"voice.receipt", "voice.status", "voice.mine", "voice.follow_up"}
# The empty form shows nothing stored, and offers every age band as an option.
NOT_SEARCHED = {*PERSONAL_ENDPOINTS, "voice.send"}


def markers() -> dict[str, str]:
    found = {f"sender {key}": value for key, value in SENDER.items()}
    found["age band (ja)"] = "40代"
    found["age band (en)"] = "40–49"
    found["sender's title"] = OWN_TITLE
    found["sender's words"] = OWN_BODY
    found["withdrawn summary"] = MISTAKE
    return found


def _user(app: Any, make_user: Any, department: str) -> int:
    return make_user("staff", department).id


def answered(voice_id: int, coordinator_id: int, division_id: int, text: str) -> tuple[Any, Any]:
    """Route the voice to 企画課, which answers `text`, approved by 広聴課 (in an app context);
    returns (coordinator, voice)."""
    coordinator = db.session.get(User, coordinator_id)
    division = db.session.get(User, division_id)
    voice = db.session.get(Voice, voice_id)
    kikaku = department_id("kikaku")
    services.route(coordinator, voice, [kikaku], kikaku, "企画課の所管です。")
    answer = services.draft_answer(
        division, voice, text, ResponseKind.REFLECTED, Reflection.PLANNED, submit=True
    )
    services.approve_answer(coordinator, answer)
    return coordinator, voice


def take_through(
    app: Any, voice_id: int, coordinator_id: int, division_id: int, republish: bool
) -> None:
    """Route, answer, approve, publish (and, when `republish`, withdraw the first summary
    that identified the sender and publish it corrected), then a follow-up."""
    with app.app_context():
        coordinator, voice = answered(
            voice_id,
            coordinator_id,
            division_id,
            f"{SENDER['name']}様　ご意見ありがとうございました。",
        )
        if republish:
            services.publish(
                coordinator,
                voice,
                "公園の照明について",
                f"{MISTAKE}から、公園の照明を増やしてほしいとの要望。",
                "照明の増設を検討します。",
            )
            services.withdraw(coordinator, voice, "送り主が特定できる表現がありました。")
        services.publish(
            coordinator,
            voice,
            "公園の照明について",
            "夜の公園が暗いので、照明を増やしてほしいとの要望。",
            "来年度、照明の増設を予定しています。",
        )
        services.record_follow_up(
            coordinator, voice, Reflection.REFLECTED, "照明を10基増設しました。", date(2025, 3, 1)
        )


def body_text(response: Any) -> str:
    """What a response says: its text, or for an XLSX (a zip) the text of every part."""
    data = response.get_data()
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            return "\n".join(book.read(name).decode("utf-8", "replace") for name in book.namelist())
    return data.decode("utf-8", "replace")


def voice_urls(app: Any, voice_ids: list[int], years: list[int]) -> list[str]:
    """Every public GET page of the voice blueprint, with each voice and year it can show."""
    urls: list[str] = []
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith("voice.") or "GET" not in (rule.methods or ()):
                continue
            if rule.endpoint in NOT_SEARCHED:
                continue
            values: dict[str, list[Any]] = {"voice_id": voice_ids, "year": years}
            unknown = set(rule.arguments) - set(values)
            if unknown:
                pytest.fail(
                    f"{rule.rule}: teach the privacy test how to fill {sorted(unknown)}",
                    pytrace=False,
                )
            combinations: list[dict[str, Any]] = [{}]
            for name in rule.arguments:
                combinations = [{**c, name: v} for c in combinations for v in values[name]]
            urls += [url_for(rule.endpoint, **c) for c in combinations]
    return urls


def api_urls(client: Any, voice_ids: list[int]) -> list[str]:
    """Every GET path of the API's own document, item paths with each voice's id."""
    document = client.get("/api/v1/openapi.json")
    assert document.status_code == 200
    spec = document.get_json()
    base = urlsplit(spec["servers"][0]["url"]).path  # the paths are relative to the server
    urls = ["/api/v1/openapi.json"]
    for relative, operations in spec["paths"].items():
        path = base + relative
        if "get" not in operations:
            continue
        parameters = re.findall(r"\{(\w+)\}", path)
        if not parameters:
            urls.append(path)
        elif len(parameters) == 1 and "voice" in path:
            urls += [path.replace("{" + parameters[0] + "}", str(v)) for v in voice_ids]
    return urls


def open_data_urls(client: Any) -> list[str]:
    """The catalogue, its page, and every file it links on this site."""
    catalog = client.get("/open-data/catalog.jsonld")
    assert catalog.status_code == 200
    links = re.findall(r'"(http://localhost(/[^"]*))"', json.dumps(catalog.get_json()))
    return ["/open-data", "/open-data/catalog.jsonld", *sorted({path for _, path in links})]


@pytest.fixture
def voices(app: Any, plan: Any, make_user: Any) -> list[int]:
    coordinator = _user(app, make_user, "kocho")
    division = _user(app, make_user, "kikaku")
    with app.app_context():
        chuo = ward_id("chuo")
    common = {
        "title": OWN_TITLE,
        "body": OWN_BODY,
        "postal_code": SENDER["postal_code"],
        "postal_address": SENDER["postal_address"],
        "age_band": AgeBand.FORTIES,
        "sender_ward_id": chuo,
        "ward_id": chuo,
        "follow_up_wanted": True,
    }
    published = make_voice(app, **common)
    republished = make_voice(app, reply_by=ReplyBy.POST, **common)
    unpublished = make_voice(app, **common)
    take_through(app, published, coordinator, division, republish=False)
    take_through(app, republished, coordinator, division, republish=True)
    return [published, republished, unpublished]


def test_no_public_output_carries_the_senders_data(app, client, voices):
    with app.app_context():
        published = db.session.scalars(
            sa.select(Voice.id).where(Voice.published_at.is_not(None))
        ).all()
        years = sorted({fiscal_year(v.received_at) for v in db.session.scalars(sa.select(Voice))})
    assert len(published) == 2  # the withdrawn one is back, corrected

    urls = [
        "/",
        *voice_urls(app, voices, years),
        *api_urls(client, voices),
        *open_data_urls(client),
        "/reports",
        "/reports/annual",
        "/reports/annual.xlsx",
        "/reports/export.csv",
        "/reports/export.xlsx",
        *(f"/initiatives/{n}" for n in (3, 8)),
        *(f"/initiatives/{n}/feed.atom" for n in (3, 8)),
    ]
    shown: dict[str, int] = {}
    for lang in ("ja", "en"):
        for url in urls:
            separator = "&" if "?" in url else "?"
            response = client.get(f"{url}{separator}lang={lang}")
            assert response.status_code in (200, 404), f"{url}: {response.status_code}"
            shown[url] = response.status_code
            text = body_text(response)
            for what, marker in markers().items():
                assert marker not in text, f"{url} ({lang}) shows the {what}: {marker}"

    # The search covered what is published: each published voice's page was read.
    for voice_id in published:
        assert shown[f"/voice/{voice_id}"] == 200
    assert shown["/voice/"] == 200 and shown["/voice/reflected"] == 200
    # And the pages say what the city wrote, so the search was not over empty pages.
    page = client.get(f"/voice/{published[0]}")
    assert "来年度、照明の増設を予定しています。" in page.text
    assert "照明を10基増設しました。" in page.text


def test_a_withdrawal_leaves_the_cached_lists_at_once(app, plan, make_user, another_app):
    """With the cache on, the lists are built once per version of the published voices: a
    summary withdrawn because it identified the sender is gone from every list on the next
    request (not a cache period later), and the corrected one and a follow-up show at once."""
    client = another_app({**app.config, "FIGURES_CACHE_SECONDS": 3600}).test_client()
    coordinator_id = _user(app, make_user, "kocho")
    division_id = _user(app, make_user, "kikaku")
    voice_id = make_voice(app, title=OWN_TITLE, body=OWN_BODY)
    with app.app_context():
        coordinator, voice = answered(voice_id, coordinator_id, division_id, "回答です。")
        services.publish(
            coordinator, voice, "公園の照明について", f"{MISTAKE}からの要望。", "検討します。"
        )
    lists = ["/voice/", "/voice/reflected", "/voice/?kind=request"]
    for url in lists:
        response = client.get(url)
        assert response.status_code == 200 and MISTAKE in response.text, url

    with app.app_context():
        coordinator = db.session.get(User, coordinator_id)
        voice = db.session.get(Voice, voice_id)
        services.withdraw(coordinator, voice, "送り主が特定できる表現がありました。")
    for url in lists:
        response = client.get(url)
        assert response.status_code == 200 and MISTAKE not in response.text, url
        assert "公園の照明について" not in response.text, url

    with app.app_context():
        coordinator = db.session.get(User, coordinator_id)
        voice = db.session.get(Voice, voice_id)
        services.publish(coordinator, voice, "公園の照明について", "照明の要望。", "検討します。")
    assert "照明の要望。" in client.get("/voice/").text
    with app.app_context():
        services.record_follow_up(
            db.session.get(User, coordinator_id),
            db.session.get(Voice, voice_id),
            Reflection.REFLECTED,
            "照明を10基増設しました。",
            date(2025, 3, 1),
        )
    assert "照明を10基増設しました。" in client.get("/voice/reflected").text


def test_a_browsers_copy_of_a_list_is_revalidated_by_its_version(
    app, client, plan, make_user, login_as
):
    """Conditional GET (app/core/cache.py versioned_page): the published list carries an ETag
    of its version and language; asked again with it, the answer is 304 with no body (and the
    security headers) while nothing was published or withdrawn, and the new page once a voice
    was withdrawn. Signed-in pages carry no ETag."""
    coordinator_id = _user(app, make_user, "kocho")
    division_id = _user(app, make_user, "kikaku")
    voice_id = make_voice(app)
    take_through(app, voice_id, coordinator_id, division_id, republish=False)

    first = client.get("/voice/")
    assert first.status_code == 200 and "公園の照明について" in first.text
    tag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "no-cache"
    assert "Accept-Language" in first.headers["Vary"]
    again = client.get("/voice/", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["X-Content-Type-Options"] == "nosniff"
    english = client.get("/voice/?lang=en", headers={"If-None-Match": tag})
    assert english.status_code == 200 and english.headers["ETag"] != tag

    with app.app_context():
        services.withdraw(
            db.session.get(User, coordinator_id), db.session.get(Voice, voice_id), "理由です。"
        )
    after = client.get("/voice/", headers={"If-None-Match": tag})
    assert after.status_code == 200 and "公園の照明について" not in after.text
    assert after.headers["ETag"] != tag

    login_as("staff", "kikaku")
    signed_in = client.get("/voice/", headers={"If-None-Match": after.headers["ETag"]})
    assert signed_in.status_code == 200 and "ETag" not in signed_in.headers


def test_the_first_page_is_kept_whole_for_anonymous_visitors_until_its_version_changes(
    app, another_app, plan, make_user
):
    """With the cache on, /voice/ without a query is drawn once per version and language and
    served whole to the next anonymous visitors (app/core/cache.py versioned_page); a
    withdrawal changes its version, so the withdrawn voice is gone from the next visit. Pages
    with a query, and signed-in pages, are drawn each time; nobody's name reaches the kept one."""
    coordinator_id = _user(app, make_user, "kocho")
    division_id = _user(app, make_user, "kikaku")
    voice_id = make_voice(app)
    take_through(app, voice_id, coordinator_id, division_id, republish=False)
    cached = another_app({**app.config, "FIGURES_CACHE_SECONDS": 60})
    drawn: list[str] = []

    def note(_sender: Any, template: Any, **_extra: Any) -> None:
        drawn.append(template.name)

    with cached.app_context():
        cache.clear()
    visitor = cached.test_client()
    with template_rendered.connected_to(note, cached):
        first = visitor.get("/voice/")
        assert first.status_code == 200 and "公園の照明について" in first.text
        assert drawn == ["voice/index.html"]
        again = cached.test_client().get("/voice/")
        assert again.status_code == 200 and again.text == first.text
        assert drawn == ["voice/index.html"]  # served whole, not drawn
        english = visitor.get("/voice/?lang=en")
        assert english.status_code == 200 and "Published voices" in english.text
        assert visitor.get("/voice/?page=1").status_code == 200
        assert drawn.count("voice/index.html") == 3  # with a query: drawn each time

        staff = cached.test_client()
        user = make_user("staff", "kikaku")
        assert Auth(staff).login(user.email).status_code == 302
        signed_in = staff.get("/voice/")
        assert signed_in.status_code == 200 and user.display_name in signed_in.text
        assert drawn.count("voice/index.html") == 4
        anonymous = cached.test_client().get("/voice/")
        assert user.display_name not in anonymous.text and anonymous.text == first.text

        with app.app_context():
            services.withdraw(
                db.session.get(User, coordinator_id), db.session.get(Voice, voice_id), "理由です。"
            )
        after = cached.test_client().get("/voice/")
        assert after.status_code == 200 and "公園の照明について" not in after.text
        assert drawn.count("voice/index.html") == 5
    with cached.app_context():
        cache.clear()
