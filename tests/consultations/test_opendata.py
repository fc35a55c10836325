"""The events open data (431001_event.csv) in the municipal standard's columns, and the venue
coordinates staff enter for it."""

import csv
import io

import sqlalchemy as sa

from app.consultations import services
from app.consultations.models import Consultation, Venue
from app.consultations.opendata import EVENT_COLUMNS
from app.extensions import db
from app.plan.models import Ward
from tests.conftest import submit
from tests.consultations.factories import make_consultation, make_session

# 自治体標準オープンデータセット（正式版）「イベント一覧」, as opendata.EVENT_COLUMNS documents it.
STANDARD_EVENT_COLUMNS = [
    "全国地方公共団体コード",
    "ID",
    "地方公共団体名",
    "イベント名",
    "イベント名_カナ",
    "イベント名_英字",
    "開始日",
    "終了日",
    "開始時間",
    "終了時間",
    "開始日時特記事項",
    "説明",
    "料金(基本)",
    "料金(詳細)",
    "連絡先名称",
    "連絡先電話番号",
    "連絡先内線番号",
    "主催者",
    "場所名称",
    "所在地_連結表記",
    "所在地_都道府県",
    "所在地_市区町村",
    "所在地_町字",
    "所在地_番地以下",
    "建物名等(方書)",
    "緯度",
    "経度",
    "アクセス方法",
    "駐車場情報",
    "定員",
    "参加申込終了日",
    "参加申込終了時間",
    "参加申込方法",
    "URL",
    "備考",
]

VENUE = {
    "name_ja": "中央公民館",
    "address_ja": "熊本市中央区草葉町5-1",
    "capacity": "80",
    "accessibility_ja": "車いす用トイレあり。磁気ループあり。",
}


def _ward_id(app, code: str = "chuo") -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Ward.id).where(Ward.code == code))


def _events(client) -> list[dict[str, str]]:
    response = client.get("/consultations/events.csv")
    assert response.status_code == 200
    assert 'filename="431001_event.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == STANDARD_EVENT_COLUMNS
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_events_csv_has_the_standard_columns_phone_and_venue_coordinates(
    app, client, plan, login_as
):
    assert list(EVENT_COLUMNS) == STANDARD_EVENT_COLUMNS
    login_as("staff", "kikaku")
    # Staff enter the venue with its coordinates on the venue form.
    response = submit(
        client,
        "/staff/consultations/venues",
        {**VENUE, "ward_id": str(_ward_id(app)), "latitude": "32.80276", "longitude": "130.7077"},
    )
    assert response.status_code == 302
    with app.app_context():
        venue = db.session.scalar(sa.select(Venue).where(Venue.name_ja == "中央公民館"))
        consultation_id = make_consultation()
        consultation = db.session.get(Consultation, consultation_id)
        services.update_consultation(
            None,
            consultation,
            contact_ja="市民協働課（平日8時30分から17時15分まで）",
            contact_phone="096-328-2036",
        )
        session_id = make_session(consultation_id, venue.id)
        consultation_department = consultation.department.name_ja

    (row,) = _events(client)
    assert row["全国地方公共団体コード"] == "431001"
    assert row["ID"] == str(session_id)
    assert row["地方公共団体名"] == "熊本県熊本市"
    # The department names the contact; the number sits in its own column.
    assert row["連絡先名称"] == f"熊本市 {consultation_department}"
    assert "096" not in row["連絡先名称"]
    assert row["連絡先電話番号"] == "096-328-2036"
    # The venue's coordinates and address; accessibility notes in 備考, not アクセス方法.
    assert (row["緯度"], row["経度"]) == ("32.80276", "130.7077")
    assert row["場所名称"] == "中央公民館"
    assert row["所在地_連結表記"] == "熊本県熊本市中央区草葉町5-1"
    assert row["所在地_都道府県"] == "熊本県"
    assert row["所在地_市区町村"] == "熊本市中央区"
    assert row["備考"] == "車いす用トイレあり。磁気ループあり。"
    assert row["アクセス方法"] == ""
    assert row["開始時間"] == "14:00" and row["終了時間"] == "16:00"


def test_online_session_has_no_place_and_no_meeting_link(app, client, plan):
    with app.app_context():
        make_session(make_consultation(), None)
    (row,) = _events(client)
    assert row["場所名称"] == "オンライン"
    assert row["緯度"] == row["経度"] == row["所在地_連結表記"] == ""
    # The meeting link is for those registered; the open data never carried it out.
    assert "meet.example.jp" not in "".join(row.values())


def test_venue_form_refuses_coordinates_out_of_range_or_alone(app, client, plan, login_as):
    login_as("staff", "kikaku")
    ward_id = str(_ward_id(app))
    response = submit(
        client,
        "/staff/consultations/venues?lang=en",
        {**VENUE, "ward_id": ward_id, "latitude": "95", "longitude": "130.7"},
    )
    assert response.status_code == 200
    assert "A latitude is from -90 to 90." in response.text
    assert 'value="95"' in response.text and 'value="130.7"' in response.text
    response = submit(
        client,
        "/staff/consultations/venues?lang=en",
        {**VENUE, "ward_id": ward_id, "latitude": "32.8", "longitude": ""},
    )
    assert "Give both the latitude and the longitude, or neither." in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Venue.id))) == 0


def test_staff_add_coordinates_to_an_existing_venue(app, client, plan, login_as):
    login_as("staff", "kikaku")
    with app.app_context():
        venue_id = services.create_venue(
            None, name_ja="東部公民館", address_ja="熊本市東区", ward_id=_ward_id(app), capacity=30
        ).id
    page = client.get(f"/staff/consultations/venues/{venue_id}?lang=en")
    assert "Edit the venue" in page.text and 'value="東部公民館"' in page.text
    response = submit(
        client,
        f"/staff/consultations/venues/{venue_id}",
        {
            "name_ja": "東部公民館",
            "address_ja": "熊本市東区",
            "capacity": "30",
            "ward_id": str(_ward_id(app)),
            "latitude": "32.7906",
            "longitude": "130.7649",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        venue = db.session.get(Venue, venue_id)
        assert (venue.latitude, venue.longitude) == (32.7906, 130.7649)
