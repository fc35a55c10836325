"""The demo logins (`flask demo load`): an administrator, staff in the departments the demo
uses, a reviewer and citizens, all with the demo password."""

from __future__ import annotations

import sqlalchemy as sa

from app.core.demo import DEMO_PASSWORD, DemoLoad
from app.extensions import db

# (e-mail, display name, role, department code or None)
DEMO_USERS = [
    ("admin@demo.sankaku.jp", "管理者 一郎", "admin", None),
    ("kocho@demo.sankaku.jp", "広聴 花子", "staff", "kocho"),
    ("kyodo@demo.sankaku.jp", "協働 太郎", "staff", "shimin-kyodo"),
    ("keiei@demo.sankaku.jp", "経営 次郎", "staff", "gyosei-keiei"),
    ("kikaku@demo.sankaku.jp", "企画 美咲", "staff", "kikaku"),
    ("chuo@demo.sankaku.jp", "中央 健", "staff", "ku-yakusho-chuo"),
    ("kita@demo.sankaku.jp", "北 さくら", "staff", "ku-machizukuri-kita"),
    ("reviewer@demo.sankaku.jp", "審査 委員", "reviewer", None),
    ("citizen@demo.sankaku.jp", "市民 はるか", "citizen", None),
    ("citizen2@demo.sankaku.jp", "熊本 大輔", "citizen", None),
]


def load_demo(run: DemoLoad) -> None:
    from app.accounts import services as accounts
    from app.accounts.models import User
    from app.core.permissions import Role
    from app.plan.models import Department

    departments = {d.code: d for d in db.session.scalars(sa.select(Department))}
    for email, name, role, department in DEMO_USERS:
        user = accounts.get_user_by_email(email)
        if user is None:
            user = accounts.create_user(
                None,
                email,
                name,
                Role(role),
                department_id=departments[department].id if department else None,
                password=DEMO_PASSWORD,
                send_invitation=False,
            )
        label = f"{role}" + (f" ({department})" if department else "")
        run.logins.accounts.append((label, email))
    run.admin = accounts.get_user_by_email(DEMO_USERS[0][0])
    assert db.session.scalar(sa.select(sa.func.count(User.id))) >= len(DEMO_USERS)
