"""The response table (答申対応表): plan → category → recommendation → initiative → action."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import Localized, TimestampMixin, value_enum
from app.core.enums import LabelledEnum
from app.extensions import db

action_department = sa.Table(
    "action_department",
    db.metadata,
    sa.Column("action_id", sa.ForeignKey("action.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("department_id", sa.ForeignKey("department.id"), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False, default=0),
)


class Plan(Localized, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    title_ja: Mapped[str] = mapped_column(sa.String(300))
    title_en: Mapped[str] = mapped_column(sa.String(300), default="")
    city_ja: Mapped[str] = mapped_column(sa.String(100))
    city_en: Mapped[str] = mapped_column(sa.String(100), default="")
    fiscal_year: Mapped[int]
    # Column headings (ア)–(オ) as printed on the paper table, {key: {ja, en}}.
    columns: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # Raised by every change to the table's texts (plan.services): cached fragments of the
    # table are keyed by it, so an edit shows at once on every worker.
    revision: Mapped[int] = mapped_column(default=0, server_default="0")

    categories: Mapped[list[Category]] = relationship(
        back_populates="plan", order_by="Category.position", cascade="all, delete-orphan"
    )

    def column(self, key: str) -> str:
        from app.core.i18n import current_language

        labels = self.columns.get(key, {})
        return labels.get(current_language()) or labels.get("ja", key)


class Ward(Localized, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name_ja: Mapped[str] = mapped_column(sa.String(50))
    name_en: Mapped[str] = mapped_column(sa.String(50), default="")
    position: Mapped[int] = mapped_column(default=0)


class Department(Localized, db.Model):
    """A division. "Per-ward" departments (各区役所 …) are groups with one child per ward."""

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name_ja: Mapped[str] = mapped_column(sa.String(100))
    name_en: Mapped[str] = mapped_column(sa.String(150), default="")
    per_ward: Mapped[bool] = mapped_column(default=False)
    group_id: Mapped[int | None] = mapped_column(sa.ForeignKey("department.id"), index=True)
    ward_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ward.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)

    group: Mapped[Department | None] = relationship(remote_side=[id], back_populates="members")
    members: Mapped[list[Department]] = relationship(back_populates="group")
    ward: Mapped[Ward | None] = relationship()


class Category(Localized, db.Model):
    __table_args__ = (sa.UniqueConstraint("plan_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plan.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(64))
    name_ja: Mapped[str] = mapped_column(sa.String(50))
    name_en: Mapped[str] = mapped_column(sa.String(100), default="")
    position: Mapped[int] = mapped_column(default=0)

    plan: Mapped[Plan] = relationship(back_populates="categories")
    recommendations: Mapped[list[Recommendation]] = relationship(
        back_populates="category", order_by="Recommendation.position"
    )


class Recommendation(Localized, TimestampMixin, db.Model):
    """An 答申 (column ア) with the city's policy (方針, column イ)."""

    __table_args__ = (sa.UniqueConstraint("category_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("category.id"), index=True)
    number: Mapped[int]
    text_ja: Mapped[str] = mapped_column(sa.Text)
    text_en: Mapped[str] = mapped_column(sa.Text, default="")
    policy_ja: Mapped[str] = mapped_column(sa.Text)
    policy_en: Mapped[str] = mapped_column(sa.Text, default="")
    position: Mapped[int] = mapped_column(default=0)

    category: Mapped[Category] = relationship(back_populates="recommendations")
    initiatives: Mapped[list[Initiative]] = relationship(
        back_populates="recommendation", order_by="Initiative.number"
    )

    @property
    def circled_number(self) -> str:
        # The paper table numbers recommendations ①②③ within each category.
        return chr(0x2460 + self.number - 1) if 1 <= self.number <= 20 else str(self.number)

    @property
    def row_count(self) -> int:
        """Rows it spans in the table: one per pairing of departments with their actions."""
        return sum(max(len(initiative.pairs), 1) for initiative in self.initiatives)


@dataclass(frozen=True)
class DepartmentActions:
    """Departments (column エ) beside the actions they carry out (column オ)."""

    departments: list[Department]
    actions: list[Action]


class Initiative(Localized, TimestampMixin, db.Model):
    """A numbered 取組内容 (1–22): the "answer item" every activity record points at."""

    __table_args__ = (sa.UniqueConstraint("plan_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plan.id"), index=True)
    recommendation_id: Mapped[int] = mapped_column(sa.ForeignKey("recommendation.id"), index=True)
    number: Mapped[int]
    title_ja: Mapped[str] = mapped_column(sa.String(300))
    title_en: Mapped[str] = mapped_column(sa.String(300), default="")

    recommendation: Mapped[Recommendation] = relationship(back_populates="initiatives")
    actions: Mapped[list[Action]] = relationship(
        back_populates="initiative",
        order_by="Action.position",
        primaryjoin="and_(Action.initiative_id == Initiative.id, Action.archived.is_(False))",
        viewonly=True,
    )

    @property
    def pairs(self) -> list[DepartmentActions]:
        """Columns エ and オ as the paper pairs them: consecutive actions of the same departments
        share one cell of departments, and a change of departments starts a new pair
        (initiative 14: 区政推進課・各区まちづくり推進課 make the activity guide, 市民協働課
        coordinates its use at あいぽーと)."""
        pairs: list[DepartmentActions] = []
        for action in self.actions:
            if pairs and [d.id for d in pairs[-1].departments] == [
                d.id for d in action.departments
            ]:
                pairs[-1].actions.append(action)
            else:
                pairs.append(DepartmentActions(list(action.departments), [action]))
        return pairs

    @property
    def departments(self) -> list[Department]:
        """Column エ: the departments of its actions, in order of first appearance."""
        seen: dict[int, Department] = {}
        for action in self.actions:
            for department in action.departments:
                seen.setdefault(department.id, department)
        return list(seen.values())


class Action(Localized, TimestampMixin, db.Model):
    """A concrete action by the departments concerned (各課での具体的な動き, column オ)."""

    __table_args__ = (sa.UniqueConstraint("initiative_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    initiative_id: Mapped[int] = mapped_column(sa.ForeignKey("initiative.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    text_ja: Mapped[str] = mapped_column(sa.Text)
    text_en: Mapped[str] = mapped_column(sa.Text, default="")
    # Actions dropped from a reloaded plan file keep their progress history, hidden.
    archived: Mapped[bool] = mapped_column(default=False)

    initiative: Mapped[Initiative] = relationship(foreign_keys=[initiative_id], overlaps="actions")
    departments: Mapped[list[Department]] = relationship(
        secondary=action_department, order_by=action_department.c.position
    )
    progress: Mapped[list[ActionProgress]] = relationship(
        back_populates="action",
        order_by="(ActionProgress.fiscal_year.desc(), ActionProgress.recorded_on.desc(), "
        "ActionProgress.id.desc())",
    )


class ProgressStatus(LabelledEnum):
    NOT_STARTED = "not_started", _l("Not started")
    IN_PROGRESS = "in_progress", _l("In progress")
    DONE = "done", _l("Done")
    CONTINUING = "continuing", _l("Continuing")


class ActionProgress(TimestampMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(sa.ForeignKey("action.id"), index=True)
    fiscal_year: Mapped[int] = mapped_column(index=True)
    status: Mapped[ProgressStatus] = mapped_column(value_enum(ProgressStatus, 16))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_on: Mapped[date]
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    action: Mapped[Action] = relationship(back_populates="progress")
