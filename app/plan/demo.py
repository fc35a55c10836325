"""The demo's response table and its progress (`flask demo load`)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from app.core.demo import DemoLoad
from app.extensions import db

# (initiative number, action position, fiscal year, status, note): every action of the table
# has its progress, so the annual report has something to say on each row.
DEMO_PROGRESS = [
    (1, 0, 2012, "done", "CMSを刷新し、各課の記事入力を統一した。"),
    (1, 1, 2012, "done", "課題検証会議を開き、各課の情報提供の課題を整理した。"),
    (2, 0, 2012, "done", "フェイスブックページを開設。"),
    (2, 0, 2013, "continuing", "各区の公式アカウントで継続発信。"),
    (3, 0, 2012, "continuing", "市民の声と直接対話の内容を毎月ホームページに掲載。"),
    (4, 0, 2012, "continuing", "市政情報プラザで行政資料を閲覧に供し、説明会を開催。"),
    (4, 1, 2012, "done", "文書目録と要綱をホームページで公開。"),
    (4, 2, 2012, "in_progress", "「市政情報の市民提供に関する基本的な考え方」を全課に通知。"),
    (5, 0, 2012, "continuing", "情報公開・個人情報保護の職員研修を年2回実施。"),
    (6, 0, 2012, "in_progress", "企画課・広聴課と月例の連絡会を開始。"),
    (6, 1, 2012, "continuing", "企画立案段階の参画手法について、各課の相談に応じて助言。"),
    (7, 0, 2012, "done", "指針に委員公募の規定を追加。"),
    (8, 0, 2012, "continuing", "全件について事前協議を実施。"),
    (8, 1, 2012, "continuing", "市民の声への回答期限を定め、進行を毎月確認。"),
    (9, 0, 2012, "done", "政令市5市の参画手法を調査し、研究会で報告。"),
    (10, 0, 2012, "in_progress", "5区すべてでまちづくり懇話会を設置。"),
    (11, 0, 2012, "continuing", "各区で地域団体との意見交換会を開催。"),
    (12, 0, 2012, "continuing", "あいぽーとで市民活動の相談に随時対応。"),
    (12, 1, 2012, "continuing", "市民公益セミナーを年4回開催。"),
    (13, 0, 2012, "continuing", "自治基本条例庁内推進会議を年2回開催。"),
    (14, 0, 2012, "done", "まちづくり活動の手引きを作成し、全自治会に配布。"),
    (14, 1, 2012, "continuing", "あいぽーとで手引きを活用した相談とコーディネートを実施。"),
    (15, 0, 2012, "continuing", "市民公益セミナーを実施。"),
    (15, 1, 2012, "continuing", "参画協働に関する職員研修を実施。"),
    (16, 0, 2012, "continuing", "あいぽーとセミナーの教材として活用。"),
    (16, 1, 2012, "continuing", "参画協働研修の教材として活用。"),
    (16, 2, 2012, "done", "基金説明会とNPO説明会で配布。"),
    (16, 3, 2012, "continuing", "NPO法人設立時とあいぽーと登録時に配布。"),
    (17, 0, 2013, "in_progress", "制度案を作成中。"),
    (18, 0, 2013, "not_started", ""),
    (18, 0, 2014, "in_progress", "改定案を作成し、ワークショップで意見を聴取。"),
    (19, 0, 2012, "continuing", "市民と職員の合同研修で協働のプロセスを体験。"),
    (19, 1, 2013, "in_progress", "協働実践の手引きの素案を作成中。"),
    (20, 0, 2012, "in_progress", "各区で地域情報を収集し、ワークショップで課題を整理。"),
    (21, 0, 2012, "in_progress", "各区のまちづくりビジョンの素案を作成し、説明会を開催。"),
    (22, 0, 2012, "continuing", "本庁・区役所連絡会議を四半期ごとに開催。"),
]


def load_plan(run: DemoLoad) -> None:
    from app.plan import services as plan_services

    plan_services.load_plan(run.plan_file)


def load_progress(run: DemoLoad) -> None:
    """Every action's progress, recorded by the demo administrator (the accounts' stage)."""
    from app.plan import services as plan_services
    from app.plan.models import Action, ActionProgress, Initiative, ProgressStatus

    plan = plan_services.current_plan()
    assert plan is not None
    for number, position, year, status, note in DEMO_PROGRESS:
        action = db.session.scalar(
            sa.select(Action)
            .join(Initiative)
            .where(
                Initiative.plan_id == plan.id,
                Initiative.number == number,
                Action.position == position,
            )
        )
        if action is None:
            continue
        exists = db.session.scalar(
            sa.select(ActionProgress.id).where(
                ActionProgress.action_id == action.id, ActionProgress.fiscal_year == year
            )
        )
        if exists is None:
            plan_services.record_progress(
                run.admin, action, year, ProgressStatus(status), note, date(year + 1, 3, 31)
            )
