"""Demo voices for `flask demo load`: a year of 市民の声, about 300, of every kind and channel in
all five wards, each taken through the services at its own date (the clock moved as the
proposals demo moves it): received on the web or entered by 広聴課 from letters, calls,
visits, e-mail, fax and the mayor's dialogues; routed to a division; answered, mostly on time,
some late, some after an interim answer; letters to the mayor approved by the mayor's office
(秘書課, added here with its staff login hisho@demo.sankaku.jp); half of the answered ones
published with the city's summary and view, the reflected ones followed up later, and the
follow-up question answered by some senders. The last weeks' voices are still open, a few of
them overdue. Idempotent: a second run finds the first voice and adds nothing."""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from app.core import clock
from app.core.i18n import to_jst
from app.extensions import db

VOICES = 300
# The test suite loads the whole demo in a dozen places: 40 of the year's voices there (every
# kind, channel, ward and state still), the full year in `flask demo load` (VOICE_DEMO_VOICES).
TESTING_VOICES = 40
TOKEN_PREFIX = "demo-voice-"
MAYOR_OFFICE = ("hisho", "市長公室秘書課", "Mayor's Secretariat")
MAYOR_OFFICE_STAFF = ("hisho@demo.sankaku.jp", "秘書 明子")
# The divisions that answer in the demo: each has a demo login (app/accounts/demo.py).
DIVISIONS = [
    ("kikaku", "kikaku@demo.sankaku.jp"),
    ("shimin-kyodo", "kyodo@demo.sankaku.jp"),
    ("gyosei-keiei", "keiei@demo.sankaku.jp"),
    ("ku-yakusho-chuo", "chuo@demo.sankaku.jp"),
    ("ku-machizukuri-kita", "kita@demo.sankaku.jp"),
]
WARDS = ["chuo", "higashi", "nishi", "minami", "kita"]

# (kind, the sender's title, the sender's text, the published title, summary and city view).
# What is published is the city's own wording, never the sender's.
TOPICS = [
    (
        "request",
        "公園の照明を増やしてほしい",
        "夜の公園が暗く、子どもの帰り道が心配です。照明を増やしてください。",
        "公園の夜間照明について",
        "公園が夜間暗く、通行が不安なので照明を増やしてほしいというご要望です。",
        "現地を確認し、照明の増設を検討します。",
    ),
    (
        "proposal",
        "市の計画づくりに若者の意見を",
        "高校生や大学生が市の計画に意見を言える場をつくってはどうでしょうか。",
        "若い世代の市政参加について",
        "若い世代が市の計画づくりに意見を述べる機会を設けてはどうかというご提言です。",
        "高校・大学と連携した意見交換会の開催を検討します。",
    ),
    (
        "complaint",
        "窓口の待ち時間が長い",
        "区役所の窓口で1時間以上待ちました。改善してください。",
        "区役所窓口の待ち時間について",
        "区役所の窓口での待ち時間が長いというご意見です。",
        "混雑する時期の窓口を増やし、待ち状況をウェブで案内します。",
    ),
    (
        "inquiry",
        "パブリックコメントの出し方",
        "パブリックコメントに意見を出すにはどうしたらよいですか。",
        "パブリックコメントへの意見の出し方について",
        "パブリックコメントへの意見の提出方法についてのお問合せです。",
        "ウェブの意見募集ページ、郵送、ファクス、窓口への持参で提出できます。",
    ),
    (
        "other",
        "市の広報紙への感想",
        "市政だよりが読みやすくなりました。",
        "市政だよりについて",
        "市政だよりが読みやすくなったというご感想です。",
        "今後も読みやすい紙面づくりに努めます。",
    ),
    (
        "request",
        "バス停にベンチを",
        "高齢の母がバスを待つ間に座れるよう、バス停にベンチを置いてください。",
        "バス停のベンチ設置について",
        "バス停に待合用のベンチを設置してほしいというご要望です。",
        "バス事業者と協議し、利用の多いバス停から設置を進めます。",
    ),
    (
        "proposal",
        "地域の防災訓練を夜にも",
        "共働きで昼の訓練に出られません。夜の防災訓練も開いてください。",
        "防災訓練の開催時間について",
        "夜間にも防災訓練を開いてほしいというご提言です。",
        "各区で夜間の訓練を試行します。",
    ),
    (
        "complaint",
        "ごみ収集の日程がわかりにくい",
        "祝日のごみ収集日がいつも分かりません。",
        "祝日のごみ収集日の案内について",
        "祝日のごみ収集日の案内が分かりにくいというご意見です。",
        "収集カレンダーに祝日の収集を明記し、アプリでも通知します。",
    ),
]

# Where answered voices end, as weights: mostly explained or dealt with, some reflected.
RESPONSES = [
    ("explained", 35),
    ("done", 20),
    ("reflected", 12),
    ("noted", 18),
    ("difficult", 10),
    ("out_of_scope", 5),
]
NAMES = ["田中 一郎", "山本 花子", "中村 健", "小林 美香", "松本 大輔", "井上 さくら"]


def _mayor_office() -> Any:
    """秘書課 and its demo login: it approves the answers to letters to the mayor
    (COORDINATOR_DEPARTMENTS["mayor_office"]); the response table does not name it."""
    from app.accounts import services as accounts
    from app.core.demo import DEMO_PASSWORD
    from app.core.permissions import Role
    from app.plan.models import Department

    code, name_ja, name_en = MAYOR_OFFICE
    department = db.session.scalar(sa.select(Department).where(Department.code == code))
    if department is None:
        department = Department(code=code, name_ja=name_ja, name_en=name_en, position=1000)
        db.session.add(department)
        db.session.commit()
    email, name = MAYOR_OFFICE_STAFF
    user = accounts.get_user_by_email(email)
    if user is None:
        user = accounts.create_user(
            None,
            email,
            name,
            Role.STAFF,
            department_id=department.id,
            password=DEMO_PASSWORD,
            send_invitation=False,
        )
    return user


def load_demo() -> None:
    from app.accounts import services as accounts
    from app.plan.models import Initiative, Ward
    from app.voice import services
    from app.voice.models import AgeBand, ReplyBy, Voice, VoiceChannel, VoiceKind

    if db.session.scalar(
        sa.select(Voice.id).where(Voice.submission_token.startswith(TOKEN_PREFIX))
    ):
        return
    coordinator = accounts.get_user_by_email("kocho@demo.sankaku.jp")
    staff = {code: accounts.get_user_by_email(email) for code, email in DIVISIONS}
    if coordinator is None or None in staff.values():
        return
    mayor_office = _mayor_office()
    wards = {w.code: w.id for w in db.session.scalars(sa.select(Ward))}
    initiatives = {i.number: i.id for i in db.session.scalars(sa.select(Initiative))}
    rng = random.Random(21)
    now = clock.now()
    total = current_app.config.get(
        "VOICE_DEMO_VOICES", TESTING_VOICES if current_app.testing else VOICES
    )
    # The year up to six weeks ago, evenly; the last dozen in those weeks, so that whatever
    # the total some are new, some with the division, some overdue and some in approval.
    recent = min(12, total)
    spread = max(total - recent, 1)
    channels = list(VoiceChannel)
    ages = list(AgeBand)
    responses = [code for code, weight in RESPONSES for _ in range(weight)]
    voices: list[tuple[int, datetime]] = []

    for number in range(total):
        if number < total - recent:
            offset = timedelta(days=365 - 320 * number / spread)
        else:
            # From 44 days ago to this morning: the newest still with 広聴課.
            step = (number - total + recent) / max(recent - 1, 1)
            offset = timedelta(days=44 * (1 - step) + 0.3)
        received = now - offset - timedelta(minutes=rng.randrange(240))
        # Half on the web, the rest of every other channel in turn.
        channel = VoiceChannel.WEB if number % 2 == 0 else channels[1 + (number // 2) % 6]
        topic = TOPICS[number % len(TOPICS)]
        reply = (
            ReplyBy.NONE
            if number % 10 == 0
            else ReplyBy.POST
            if number % 10 == 5
            else ReplyBy.EMAIL
        )
        name = "" if reply == ReplyBy.NONE else NAMES[number % len(NAMES)]
        data = services.VoiceInput(
            kind=VoiceKind(topic[0]),
            title=topic[1],
            body=topic[2],
            reply_by=reply,
            name=name,
            email=f"voice{number}@example.jp" if reply == ReplyBy.EMAIL else "",
            postal_code="860-8601" if reply == ReplyBy.POST else "",
            postal_address="熊本市中央区手取本町1-1" if reply == ReplyBy.POST else "",
            age_band=ages[number % len(ages)] if number % 3 else None,
            sender_ward_id=wards[WARDS[(number + 1) % 5]] if number % 4 else None,
            ward_id=wards[WARDS[number % 5]],
            topic_initiative_id=initiatives.get((8, 3, 17, 6)[number % 4]) if number % 2 else None,
            to_mayor=channel == VoiceChannel.DIALOGUE or number % 25 == 3,
            consent_to_publish=number % 3 != 2,
            follow_up_wanted=reply == ReplyBy.EMAIL and number % 4 == 0,
        )
        with clock.running_at(received):
            voice, _created = services.submit_voice(
                data,
                f"{TOKEN_PREFIX}{number:04d}",
                channel=channel,
                entered_by=None if channel == VoiceChannel.WEB else coordinator,
                received_at=received,
            )
        voices.append((voice.id, received))

    for number, (voice_id, received) in enumerate(voices):
        previous_id = voices[number - 1][0] if number else voice_id
        _handle(
            number,
            voice_id,
            previous_id,
            received,
            now,
            rng,
            responses,
            coordinator,
            mayor_office,
            staff,
        )

    _answer_follow_ups(rng)


def _handle(
    number: int,
    voice_id: int,
    previous_id: int,
    received: datetime,
    now: datetime,
    rng: random.Random,
    responses: list[str],
    coordinator: Any,
    mayor_office: Any,
    staff: dict[str, Any],
) -> None:
    """Take one voice as far as its age allows: routed the next day, answered in days (some
    late, some after an interim answer), published, its reflection followed up."""
    from app.plan.models import Department
    from app.voice import services
    from app.voice.models import Reflection, ResponseKind, Voice

    def at(days: float) -> datetime:
        return received + timedelta(days=days)

    def voice() -> Voice:
        return db.session.get(Voice, voice_id, populate_existing=True)

    age = (now - received).days
    if age < 2:
        return  # still with 広聴課
    if number % 50 == 49:
        # The same voice sent again by the same person the next minute.
        with clock.running_at(at(1)):
            original = db.session.get(Voice, previous_id)
            services.mark_duplicate(coordinator, voice(), original, "同じ内容が2回送信されました。")
        return
    code, _email = DIVISIONS[number % len(DIVISIONS)]
    lead_id = db.session.scalar(sa.select(Department.id).where(Department.code == code))
    division = staff[code]
    with clock.running_at(at(1)):
        services.route(coordinator, voice(), [lead_id], lead_id, "ご確認のうえ回答をお願いします。")
    anonymous = voice().anonymous
    # How the answer went: on time (most), late, or after an interim answer.
    outcome = rng.random()
    interim = not anonymous and outcome < 0.08
    late = not interim and outcome < 0.22
    delay = 24 if interim else rng.randrange(16, 26) if late else rng.randrange(3, 14)
    if interim and at(10) < now:
        with clock.running_at(at(10)):
            services.send_interim(
                division,
                voice(),
                "関係機関との調整に時間を要しているため。",
                to_jst(at(28)).date(),
            )
    if 14 < age <= 45 and number % 3 == 1:
        return  # overdue: the division has not answered yet
    if at(delay) >= now - timedelta(days=1):
        # Still open: answered later (some of these are overdue), or in approval.
        if age >= 3 and number % 2 == 0:
            with clock.running_at(at(age - 1)):
                services.draft_answer(
                    division, voice(), _answer_text(number), ResponseKind.EXPLAINED, submit=True
                )
        return
    response = ResponseKind(responses[rng.randrange(len(responses))])
    reflection = {
        ResponseKind.REFLECTED: Reflection.PLANNED,
        ResponseKind.NOTED: Reflection.CONSIDERING,
    }.get(response)
    with clock.running_at(at(delay - 1)):
        answer = services.draft_answer(
            division,
            voice(),
            "対応状況を記録しました。" if anonymous else _answer_text(number),
            response,
            reflection,
            submit=True,
        )
    approver = mayor_office if voice().to_mayor else coordinator
    with clock.running_at(at(delay)):
        services.approve_answer(approver, answer)
    current = voice()
    published = current.consent_to_publish and number % 2 == 0
    if published and at(delay + 5) < now:
        topic = TOPICS[number % len(TOPICS)]
        with clock.running_at(at(delay + 5)):
            services.publish(coordinator, current, topic[3], topic[4], topic[5])
    if reflection is not None and at(delay + 60) < now:
        with clock.running_at(at(delay + 60)):
            services.record_follow_up(
                division,
                voice(),
                Reflection.REFLECTED if response == ResponseKind.REFLECTED else Reflection.PLANNED,
                "令和8年度の事業に盛り込みました。"
                if response == ResponseKind.REFLECTED
                else "次年度の計画で検討しています。",
                to_jst(at(delay + 60)).date(),
            )


def _answer_text(number: int) -> str:
    topic = TOPICS[number % len(TOPICS)]
    return f"このたびは貴重なご意見をいただき、ありがとうございました。{topic[5]}"


FOLLOW_UP_LINK = re.compile(r"/voice/follow-up/([A-Za-z0-9_\-]+)")


def _answer_follow_ups(rng: random.Random) -> None:
    """Send the follow-up question that is due, as the nightly job would, and let most of the
    senders answer it through the link in their mail."""
    from app.core.mail import OutboxMessage
    from app.voice import services
    from app.voice.models import FollowUpAnswer

    if not services.send_follow_ups():
        return
    bodies = db.session.scalars(
        sa.select(OutboxMessage.body).where(OutboxMessage.body.contains("/voice/follow-up/"))
    )
    answers = (
        [FollowUpAnswer.HELPED] * 6 + [FollowUpAnswer.PARTLY] * 3 + [FollowUpAnswer.NOT_HELPED] * 2
    )
    for body in list(bodies):
        found = FOLLOW_UP_LINK.search(body)
        if found is None or rng.random() < 0.25:
            continue
        services.answer_follow_up(found.group(1), answers[rng.randrange(len(answers))])
