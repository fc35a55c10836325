"""Sessions as open data, in the column order of the recommended dataset 「イベント一覧」."""

from __future__ import annotations

from collections.abc import Iterable

from app.consultations.models import Session
from app.core.i18n import to_jst

MUNICIPALITY_CODE = "431001"  # 全国地方公共団体コード of 熊本市
PREFECTURE_NAME = "熊本県"
MUNICIPALITY_NAME = "熊本市"

# The 32 columns of 「イベント一覧」 in the 推奨データセット (自治体標準オープンデータセット) of
# the Digital Agency / former IT総合戦略室, in their published order. Do not reorder: aggregators
# read the file by position.
EVENT_COLUMNS = (
    "都道府県コード又は市区町村コード",
    "NO",
    "都道府県名",
    "市区町村名",
    "イベント名",
    "イベント名_カナ",
    "イベント名_英語",
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
    "住所",
    "方書",
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


def event_rows(sessions: Iterable[Session]) -> Iterable[list[str]]:
    """One row per public session; only facts about the session, never about registrants."""
    from app.core.urls import public_url

    for session in sessions:
        consultation = session.consultation
        starts, ends = to_jst(session.starts_at), to_jst(session.ends_at)
        closes = to_jst(session.registration_closes_at) if session.registration_closes_at else None
        venue = session.venue
        title_en = consultation.title_en
        if title_en and session.title_en:
            title_en = f"{title_en} {session.title_en}"
        yield [
            MUNICIPALITY_CODE,
            str(session.id),
            PREFECTURE_NAME,
            MUNICIPALITY_NAME,
            f"{consultation.title_ja} {session.title_ja}".strip(),
            "",
            title_en,
            f"{starts:%Y-%m-%d}",
            f"{ends:%Y-%m-%d}",
            f"{starts:%H:%M}",
            f"{ends:%H:%M}",
            "",
            consultation.purpose_ja,
            "無料",
            "",
            consultation.contact_ja or consultation.department.name_ja,
            "",
            "",
            f"{MUNICIPALITY_NAME} {consultation.department.name_ja}",
            venue.name_ja if venue else "オンライン",
            venue.address_ja if venue else "",
            "",
            "",
            "",
            venue.accessibility_ja if venue else session.online_url,
            "",
            str(session.capacity),
            f"{closes:%Y-%m-%d}" if closes else "",
            f"{closes:%H:%M}" if closes else "",
            "Webフォーム" if session.registration_required else "申込不要",
            public_url("consultations.session", session_id=session.id),
            consultation.kind.name_ja,
        ]
