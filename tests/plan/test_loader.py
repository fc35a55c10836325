"""`flask plan load`: validates first, is idempotent, updates in place, never half-writes."""

import json

import sqlalchemy as sa

from app.extensions import db
from app.plan.models import Action, Department, Initiative, Recommendation, Ward
from tests.conftest import PLAN_FILE


def _counts(app):
    with app.app_context():
        return {
            model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Ward, Department, Recommendation, Initiative, Action)
        }


def _edited(tmp_path, change):
    data = json.loads(PLAN_FILE.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_load_builds_the_whole_table(app, runner):
    result = runner.invoke(args=["plan", "load", str(PLAN_FILE)])
    assert result.exit_code == 0, result.output
    counts = _counts(app)
    assert counts["Initiative"] == 22
    assert counts["Ward"] == 5
    # 10 departments, of which 3 per-ward groups expand to 5 wards each.
    assert counts["Department"] == 10 + 3 * 5
    assert counts["Recommendation"] == 11
    with app.app_context():
        numbers = db.session.scalars(sa.select(Initiative.number).order_by(Initiative.number))
        assert list(numbers) == list(range(1, 23))
        chuo = db.session.scalar(sa.select(Department).where(Department.code == "ku-yakusho-chuo"))
        assert chuo.name_ja == "中央区役所"
        assert chuo.group.code == "ku-yakusho"


def test_loading_twice_changes_nothing(app, runner):
    runner.invoke(args=["plan", "load", str(PLAN_FILE)])
    before = _counts(app)
    with app.app_context():
        stamps = list(db.session.execute(sa.select(Initiative.id, Initiative.updated_at)))
    result = runner.invoke(args=["plan", "load", str(PLAN_FILE)])
    assert result.exit_code == 0
    assert "0 created, 0 updated, 0 archived" in result.output
    assert _counts(app) == before
    with app.app_context():
        assert list(db.session.execute(sa.select(Initiative.id, Initiative.updated_at))) == stamps


def test_an_edited_file_updates_and_never_duplicates(app, runner, tmp_path):
    runner.invoke(args=["plan", "load", str(PLAN_FILE)])
    before = _counts(app)

    def change(data):
        initiative = data["categories"][1]["recommendations"][0]["initiatives"][2]
        assert initiative["number"] == 8
        initiative["title"]["ja"] = "パブリックコメント制度の強化(改訂)"
        initiative["actions"].append({"departments": ["kocho"], "ja": "新しい動き"})

    result = runner.invoke(args=["plan", "load", str(_edited(tmp_path, change))])
    assert result.exit_code == 0, result.output
    assert "1 created, 1 updated" in result.output
    after = _counts(app)
    assert after["Initiative"] == before["Initiative"]
    assert after["Action"] == before["Action"] + 1
    with app.app_context():
        eight = db.session.scalar(sa.select(Initiative).where(Initiative.number == 8))
        assert eight.title_ja == "パブリックコメント制度の強化(改訂)"
        assert [a.text_ja for a in eight.actions][-1] == "新しい動き"


def test_actions_dropped_from_the_file_are_archived_not_deleted(app, runner, tmp_path):
    runner.invoke(args=["plan", "load", str(PLAN_FILE)])

    def drop(data):
        data["categories"][1]["recommendations"][0]["initiatives"][2]["actions"].pop()

    result = runner.invoke(args=["plan", "load", str(_edited(tmp_path, drop))])
    assert "1 archived" in result.output
    with app.app_context():
        eight = db.session.scalar(sa.select(Initiative).where(Initiative.number == 8))
        assert len(eight.actions) == 1
        assert (
            db.session.scalar(
                sa.select(sa.func.count(Action.id)).where(Action.initiative_id == eight.id)
            )
            == 2
        )


def test_a_broken_file_is_refused_naming_the_field_and_nothing_changes(app, runner, tmp_path):
    runner.invoke(args=["plan", "load", str(PLAN_FILE)])
    before = _counts(app)

    def break_it(data):
        data["categories"][1]["recommendations"][0]["initiatives"][2]["number"] = "eight"
        data["categories"][0]["recommendations"][0]["initiatives"][0]["title"]["ja"] = "changed"

    path = _edited(tmp_path, break_it)
    result = runner.invoke(args=["plan", "load", str(path)])
    assert result.exit_code != 0
    assert str(path) in result.output
    assert "categories[1].recommendations[0].initiatives[2].number" in result.output
    assert "'eight' is not of type 'integer'" in result.output
    assert "nothing was changed" in result.output
    assert _counts(app) == before
    with app.app_context():
        one = db.session.scalar(sa.select(Initiative).where(Initiative.number == 1))
        assert one.title_ja == "情報の内容に応じた方法による提供の推進"


def test_unknown_department_is_named(app, runner, tmp_path):
    def break_it(data):
        data["categories"][0]["recommendations"][0]["initiatives"][0]["actions"][0][
            "departments"
        ] = ["no-such-division"]

    result = runner.invoke(args=["plan", "load", str(_edited(tmp_path, break_it))])
    assert result.exit_code != 0
    assert "categories[0].recommendations[0].initiatives[0].actions[0].departments[0]" in (
        result.output
    )
    assert "unknown department 'no-such-division'" in result.output
    assert _counts(app)["Initiative"] == 0


def test_duplicate_initiative_numbers_are_refused(app, runner, tmp_path):
    def break_it(data):
        data["categories"][0]["recommendations"][0]["initiatives"][0]["number"] = 2

    result = runner.invoke(args=["plan", "load", str(_edited(tmp_path, break_it))])
    assert result.exit_code != 0
    assert "duplicate initiative number 2" in result.output


def test_invalid_json_and_missing_file(app, runner, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    result = runner.invoke(args=["plan", "load", str(bad)])
    assert result.exit_code != 0 and "not valid UTF-8 JSON" in result.output
    result = runner.invoke(args=["plan", "load", str(tmp_path / "missing.json")])
    assert result.exit_code != 0 and "no such file" in result.output


def test_loading_provides_the_default_dispositions_without_overwriting_edits(app, runner):
    from app.core.dispositions import Disposition

    runner.invoke(args=["plan", "load", str(PLAN_FILE)])
    with app.app_context():
        names = db.session.scalars(sa.select(Disposition.name_ja).order_by(Disposition.position))
        assert list(names) == ["修正", "一部修正", "既記載", "説明", "参考", "その他"]
        db.session.scalar(sa.select(Disposition).where(Disposition.code == "other")).name_ja = "他"
        db.session.commit()
    runner.invoke(args=["plan", "load", str(PLAN_FILE)])
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Disposition.id))) == 6
        assert (
            db.session.scalar(sa.select(Disposition.name_ja).where(Disposition.code == "other"))
            == "他"
        )
