"""Sessions as open data: the events list 「イベント一覧」 of the 自治体標準オープンデータセット."""

from __future__ import annotations

from collections.abc import Iterable

from app.consultations.models import Session
from app.core.i18n import to_jst
from app.core.urls import public_url

MUNICIPALITY_CODE = "431001"  # 全国地方公共団体コード of 熊本市
PREFECTURE_NAME = "熊本県"
MUNICIPALITY_NAME = "熊本市"

# The columns of 「イベント一覧」 in the デジタル庁 自治体標準オープンデータセット（正式版）,
# in their published order. The 正式版 replaced the 推奨データセット's
# 都道府県コード又は市区町村コード / NO / 都道府県名 / 市区町村名 / 住所 / 方書 with
# 全国地方公共団体コード / ID / 地方公共団体名 and the split 所在地_* address. Do not reorder:
# aggregators read the file by position. Written from the 正式版 as known on 2026-11-29, not
# checked against the published 項目定義書 here: check it there when the standard is revised.
EVENT_COLUMNS = (
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
)


def _degrees(value: float | None) -> str:
    # Six decimal places is about 10 cm: more than a venue's entrance needs, and no float noise.
    return "" if value is None else f"{value:.6f}".rstrip("0").rstrip(".")


def _place(session: Session) -> dict[str, str]:
    """The 所在地 columns from the venue as staff entered it. The address is one field, so only
    what it states plainly is split out: the prefecture and city (with the ward) when it is in
    熊本市; 町字 and 番地以下 stay empty rather than guessed."""
    venue = session.venue
    if venue is None:
        return {"場所名称": "オンライン"}
    address = venue.address_ja
    if address.startswith(MUNICIPALITY_NAME):
        address = PREFECTURE_NAME + address
    place = {
        "場所名称": venue.name_ja,
        "所在地_連結表記": address,
        "緯度": _degrees(venue.latitude),
        "経度": _degrees(venue.longitude),
        # Step-free access, hearing loops …: the standard has no column for them, so 備考.
        "備考": venue.accessibility_ja,
    }
    city = PREFECTURE_NAME + MUNICIPALITY_NAME
    if address.startswith(city):
        place["所在地_都道府県"] = PREFECTURE_NAME
        ward = venue.ward.name_ja if venue.ward else ""
        has_ward = ward.endswith("区") and address[len(city) :].startswith(ward)
        place["所在地_市区町村"] = MUNICIPALITY_NAME + (ward if has_ward else "")
    return place


def event_rows(sessions: Iterable[Session]) -> list[list[str]]:
    """One row per public session, in EVENT_COLUMNS order; only facts about the session, never
    about registrants. The caller chooses the sessions (public ones: no staff-only kinds)."""
    rows = []
    for session in sessions:
        consultation = session.consultation
        department = consultation.department.name_ja
        starts, ends = to_jst(session.starts_at), to_jst(session.ends_at)
        closes = to_jst(session.registration_closes_at) if session.registration_closes_at else None
        title_en = consultation.title_en
        if title_en and session.title_en:
            title_en = f"{title_en} {session.title_en}"
        row = {
            "全国地方公共団体コード": MUNICIPALITY_CODE,
            "ID": str(session.id),
            "地方公共団体名": PREFECTURE_NAME + MUNICIPALITY_NAME,
            "イベント名": f"{consultation.title_ja} {session.title_ja}".strip(),
            "イベント名_英字": title_en,
            "開始日": f"{starts:%Y-%m-%d}",
            "終了日": f"{ends:%Y-%m-%d}",
            "開始時間": f"{starts:%H:%M}",
            "終了時間": f"{ends:%H:%M}",
            "説明": consultation.purpose_ja,
            "料金(基本)": "無料",
            "連絡先名称": f"{MUNICIPALITY_NAME} {department}",
            "連絡先電話番号": consultation.contact_phone,
            "主催者": f"{MUNICIPALITY_NAME} {department}",
            "定員": str(session.capacity),
            "参加申込終了日": f"{closes:%Y-%m-%d}" if closes else "",
            "参加申込終了時間": f"{closes:%H:%M}" if closes else "",
            "参加申込方法": "Webフォーム" if session.registration_required else "申込不要",
            "URL": public_url("consultations.session", session_id=session.id),
            **_place(session),
        }
        rows.append([row.get(column, "") for column in EVENT_COLUMNS])
    return rows
