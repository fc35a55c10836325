"""The citizens' voice manifest (app/voice/activity.py): figures per initiative in one statement
(on time counted in Japan dates, duplicates once), the staff's overdue list with the frozen
clock, and the kind on the table, the reports, the API, the OpenAPI document and open data,
with only what the city wrote for publication."""

from __future__ import annotations

import csv
import html
import io
import itertools
import json
from datetime import date, datetime, time
from typing import Any

import jsonschema_rs
import pytest
import sqlalchemy as sa

from app.core.activity import ActivityFilter
from app.core.i18n import jst_to_utc
from app.extensions import db
from tests.api.test_openapi_snapshot import SNAPSHOT, breaks
from tests.conftest import count_statements
from tests.voice.conftest import SENDER, department_id, ward_id

_serial = itertools.count(1)


def jst(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return jst_to_utc(day, time(hour, minute))


def add_voice(initiative: int = 8, **fields: Any) -> int:
    """A voice row as the services leave it at some stage, with the sender's marker data (the
    figures read rows, so the stage is written directly; the services have their own tests)."""
    from app.plan.services import initiative_id
    from app.voice.models import ReplyBy, Voice, VoiceChannel, VoiceKind, VoiceStatus

    number = next(_serial)
    received = fields.pop("received_at", jst(date(2026, 5, 1)))
    values: dict[str, Any] = {
        "receipt_number": number,
        "receipt_code": f"V2026-{number:05d}",
        "submission_token": f"token-{number}",
        "channel": VoiceChannel.WEB,
        "received_at": received,
        "due_on": date(2026, 5, 15),
        "kind": VoiceKind.REQUEST,
        "title": "送信者の件名MARKER",
        "body": "送信者の本文MARKER",
        "reply_by": ReplyBy.EMAIL,
        "name": SENDER["name"],
        "email": SENDER["email"],
        "postal_address": SENDER["postal_address"],
        "phone": SENDER["phone"],
        "school_district": SENDER["school_district"],
        "sender_ward_id": ward_id("kita"),
        "consent_to_publish": True,
        "status": VoiceStatus.RECEIVED,
        "initiative_id": initiative_id(initiative),
        "department_id": department_id("kocho"),
        "fiscal_year": 2026,
    }
    values.update(fields)
    voice = Voice(**values)
    db.session.add(voice)
    db.session.commit()
    return voice.id


def answered(day: date, hour: int = 10, minute: int = 0, **fields: Any) -> dict[str, Any]:
    from app.voice.models import ResponseKind, VoiceStatus

    moment = jst(day, hour, minute)
    values = {
        "status": VoiceStatus.CLOSED,
        "answered_at": moment,
        "closed_at": moment,
        "response_kind": ResponseKind.EXPLAINED,
        "answer_body": "回答",
    }
    values.update(fields)
    return values


@pytest.fixture
def voices(app, plan):
    """Initiative 8: five voices counted (one received twice), four answered, three of them on
    time; initiative 17: one open voice."""
    from app.voice.models import (
        FollowUpAnswer,
        Reflection,
        ReplyBy,
        ResponseKind,
        VoiceFollowUp,
        VoiceStatus,
    )

    with app.app_context():
        ids = {}
        # 9 days, on time, reflected, published, the sender said it helped.
        ids["reflected"] = add_voice(
            **answered(date(2026, 5, 10), response_kind=ResponseKind.REFLECTED),
            reflection=Reflection.REFLECTED,
            reflection_on=date(2026, 6, 1),
            public_title="公園の照明についての声",
            public_summary="公園の夜間照明の増設を求める声です。",
            public_view="照明を2基増設しました。",
            published_at=jst(date(2026, 5, 12)),
            follow_up_answer=FollowUpAnswer.HELPED,
            ward_id=ward_id("chuo"),
        )
        db.session.add(
            VoiceFollowUp(
                voice_id=ids["reflected"],
                reflection=Reflection.REFLECTED,
                note="照明を設置しました。",
                noted_on=date(2026, 6, 1),
            )
        )
        # 00:30 on 16 May in Japan is still the 15th in UTC: late all the same (15 days).
        ids["late"] = add_voice(
            **answered(date(2026, 5, 16), 0, 30), follow_up_answer=FollowUpAnswer.NOT_HELPED
        )
        # 23:30 on the due day: on time (14 days).
        ids["last_minute"] = add_voice(**answered(date(2026, 5, 15), 23, 30))
        # An interim answer moved the date to 25 May: answered on the 22nd is on time (21
        # days), and its later reflection counts.
        ids["interim"] = add_voice(
            **answered(date(2026, 5, 22)),
            expected_on=date(2026, 5, 25),
            reflection=Reflection.REFLECTED,
        )
        # The first voice received twice: not counted again, whatever it carries.
        ids["duplicate"] = add_voice(
            status=VoiceStatus.DUPLICATE,
            duplicate_of_id=ids["reflected"],
            response_kind=ResponseKind.REFLECTED,
            answered_at=jst(date(2026, 5, 3)),
        )
        # Anonymous and open: received, never answered.
        ids["anonymous"] = add_voice(reply_by=ReplyBy.NONE, name="", email="", phone="")
        ids["other"] = add_voice(initiative=17, status=VoiceStatus.ROUTED)
        db.session.commit()
        return ids


def test_figures_per_initiative_in_two_statements(app, voices):
    from app.plan.services import initiative_id
    from app.voice.activity import KIND

    with app.app_context():
        with count_statements() as statements:
            figures = KIND.figures(ActivityFilter())
        # The counts, and the days to answer for the median (activity.days_histogram).
        assert len([s for s in statements if s.lstrip().startswith("SELECT")]) == 2
        assert figures[initiative_id(8)] == {
            "received": 5,
            "answered": 4,
            "answered_on_time": 3,
            "on_time_share": 75.0,
            "median_days": 14.5,  # 9, 14, 15, 21
            "reflected": 2,
            "published": 1,
            "helped_share": 50.0,
        }
        assert figures[initiative_id(17)]["received"] == 1
        assert figures[initiative_id(17)]["median_days"] == 0
        # Another fiscal year has none of them; a ward narrows to the voices about it.
        assert KIND.figures(ActivityFilter(fiscal_years=(2025,))) == {}
        chuo = KIND.figures(ActivityFilter(ward_id=ward_id("chuo")))
        assert chuo[initiative_id(8)]["received"] == 1


def test_median_of_an_odd_number_is_the_middle_one(app, plan):
    from app.plan.services import initiative_id
    from app.voice.activity import KIND

    with app.app_context():
        for day in (3, 5, 20):  # 2, 4 and 19 days
            add_voice(**answered(date(2026, 5, day)))
        assert KIND.figures(ActivityFilter())[initiative_id(8)]["median_days"] == 4


def test_attention_lists_overdue_and_nearly_due_voices_with_the_frozen_clock(app, plan, frozen):
    from app.voice.activity import KIND
    from app.voice.models import ReplyBy, VoiceStatus

    frozen.set_jst(date(2026, 5, 20), time(9, 0))
    with app.app_context():
        overdue = add_voice(due_on=date(2026, 5, 15), status=VoiceStatus.ROUTED)
        soon = add_voice(due_on=date(2026, 5, 22))
        today = add_voice(due_on=date(2026, 5, 20), status=VoiceStatus.IN_APPROVAL)
        # An interim answer moved this one's date past the reminder days.
        add_voice(due_on=date(2026, 5, 10), expected_on=date(2026, 6, 30))
        add_voice(due_on=date(2026, 6, 30))  # not due yet
        add_voice(due_on=date(2026, 5, 1), reply_by=ReplyBy.NONE)  # anonymous: no answer
        add_voice(**answered(date(2026, 5, 18)), due_on=date(2026, 5, 1))  # answered
        with app.test_request_context("/?lang=en"):
            items = KIND.attention(10)
    assert [item.url for item in items] == [
        f"/staff/voice/{overdue}",
        f"/staff/voice/{today}",
        f"/staff/voice/{soon}",
    ]
    assert [item.status for item in items] == [
        "Answer overdue by 5 days.",
        "Answer due today.",
        "Answer due in 2 days.",
    ]
    # Named by receipt number, kind and division, never the sender's own title.
    assert items[0].title.startswith("V2026-") and "MARKER" not in items[0].title


def test_records_are_the_published_voices_newest_first(app, voices):
    from app.plan.services import initiative_id
    from app.voice.activity import KIND

    with app.test_request_context("/"):
        records = KIND.records(initiative_id(8), 5)
    assert [(r.title, r.url, r.day) for r in records] == [
        ("公園の照明についての声", f"/voice/{voices['reflected']}", date(2026, 5, 12))
    ]


def test_the_kind_is_on_the_table_the_reports_and_the_api(client, voices):
    home = client.get("/?lang=en")
    assert home.status_code == 200 and "Citizens' voice" in html.unescape(home.text)
    reports = client.get("/reports?lang=en")
    assert "Voices received" in reports.text and "Median days to answer" in reports.text
    initiatives = client.get("/api/v1/initiatives").json["initiatives"]
    assert initiatives[7]["activity_counts"]["voice"] == 5
    figures = client.get("/api/v1/figures").json["initiatives"][7]["figures"]["voice"]
    assert figures["answered_on_time"] == 3 and figures["median_days"] == 14.5
    document = client.get("/api/v1/openapi.json").json
    assert document["paths"]["/voices"]["get"]["operationId"] == "listVoices"
    assert document["paths"]["/voices/{voice_id}"]["get"]["operationId"] == "getVoice"
    assert "Voice" in document["components"]["schemas"]
    assert breaks(json.loads(SNAPSHOT.read_text()), document) == []


def test_the_api_serves_published_voices_with_public_fields_only(app, client, voices):
    from app.voice.activity import VOICE_SCHEMA

    listed = client.get("/api/v1/voices")
    assert listed.status_code == 200
    assert listed.json["total"] == 1
    (item,) = listed.json["items"]
    jsonschema_rs.validate(VOICE_SCHEMA, item)
    assert item["title"] == "公園の照明についての声"
    assert item["response_kind"] == "reflected" and item["ward"] == "chuo"
    assert item["follow_ups"] == [
        {"reflection": "reflected", "note": "照明を設置しました。", "noted_on": "2026-06-01"}
    ]
    one = client.get(f"/api/v1/voices/{voices['reflected']}")
    assert one.status_code == 200 and one.json == item
    # Not published: not found, like a voice that does not exist.
    assert client.get(f"/api/v1/voices/{voices['late']}").status_code == 404
    served = listed.text + one.text
    for marker in [*SENDER.values(), "MARKER", "V2026-", "kita"]:
        assert marker not in served, marker
    assert not {"receipt", "receipt_code", "name", "email", "age_band"} & set(item)


def rows_of(response: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_open_data_lists_the_published_voices_as_csv(client, voices, frozen):
    frozen.set_jst(date(2026, 6, 1), time(9, 0))
    page = html.unescape(client.get("/open-data?lang=en").text)
    assert "Published citizens' voices" in page and "/voice/report/2026.xlsx" in page
    catalogue = json.loads(client.get("/open-data/catalog.jsonld").text)
    datasets = {entry["dct:identifier"]: entry for entry in catalogue["dcat:dataset"]}
    assert {"voice", "voice_published", "voice_annual"} <= set(datasets)
    response = client.get("/voice/published-2026.csv?lang=en")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = rows_of(response)
    assert rows[0][:3] == ["Number", "Title", "Summary"]
    assert len(rows) == 2
    assert rows[1][1] == "公園の照明についての声" and rows[1][5] == "Reflected in the city's work"
    for marker in [*SENDER.values(), "MARKER", "V2026-"]:
        assert marker not in response.data.decode("utf-8-sig"), marker
    # A file per fiscal year of receipt, the last five offered; no file for years to come.
    assert "/voice/published-2022.csv" in page and "/voice/published-2021.csv" not in page
    assert len(rows_of(client.get("/voice/published-2025.csv"))) == 1
    assert client.get("/voice/published-2027.csv").status_code == 404


def test_the_published_csv_costs_one_statement_for_any_number(app, client, voices):
    with app.app_context(), count_statements() as before:
        client.get("/voice/published-2026.csv")
    with app.app_context():
        for number in range(5):
            add_voice(**answered(date(2026, 5, 10)), published_at=jst(date(2026, 5, 11 + number)))
    with app.app_context(), count_statements() as after:
        response = client.get("/voice/published-2026.csv")
    assert response.data.decode("utf-8-sig").count("\r\n") == 7
    assert len(after) == len(before)


def test_the_demo_is_a_year_of_voices_and_loads_once(app, plan):
    from app.core import clock
    from app.core.demo import load_demo
    from app.plan.models import Department
    from app.voice.models import (
        OPEN_STATUSES,
        InterimAnswer,
        ReplyBy,
        Voice,
        VoiceFollowUp,
        VoicePublication,
    )
    from tests.conftest import PLAN_FILE

    def tally() -> dict[str, Any]:
        voices = db.session.scalars(sa.select(Voice)).all()
        today = clock.today()
        return {
            "voices": len(voices),
            "kinds": {v.kind for v in voices},
            "channels": {v.channel for v in voices},
            "wards": {v.ward_id for v in voices},
            "overdue": sum(v.overdue(today) for v in voices),
            "open": sum(v.status in OPEN_STATUSES for v in voices),
            "anonymous": sum(v.reply_by == ReplyBy.NONE for v in voices),
            "published": sum(v.published_at is not None for v in voices),
            "published_reflection": sum(
                v.published_at is not None and v.reflection is not None for v in voices
            ),
            "to_mayor_closed": sum(v.to_mayor and v.answered_at is not None for v in voices),
            "follow_up_answers": sum(v.follow_up_answer is not None for v in voices),
            "interims": db.session.scalar(sa.select(sa.func.count(InterimAnswer.id))),
            "follow_ups": db.session.scalar(sa.select(sa.func.count(VoiceFollowUp.id))),
            "publications": db.session.scalar(sa.select(sa.func.count(VoicePublication.id))),
        }

    with app.app_context():
        load_demo(str(PLAN_FILE))
        first = tally()
        load_demo(str(PLAN_FILE))
        assert tally() == first
        assert db.session.scalar(sa.select(Department.name_ja).where(Department.code == "hisho"))
    # The suite's share of the year (app/voice/demo.py: TESTING_VOICES); `flask demo load` has
    # VOICES, 300, in the same states.
    assert first["voices"] == 40
    assert len(first["kinds"]) == 5 and len(first["channels"]) == 7 and len(first["wards"]) == 5
    for key in (
        "overdue",
        "open",
        "anonymous",
        "published_reflection",
        "to_mayor_closed",
        "follow_up_answers",
        "interims",
        "follow_ups",
    ):
        assert first[key] > 0, key
    assert first["publications"] == first["published"] >= 10


@pytest.mark.parametrize(
    ("histogram", "expected"),
    [([], 0), ([(7, 1)], 7), ([(9, 1), (3, 1)], 6), ([(2, 2), (30, 1)], 2), ([(1, 2), (5, 2)], 3)],
)
def test_median_from_the_days_histogram(histogram, expected):
    from app.voice.activity import median

    assert median(histogram) == expected
