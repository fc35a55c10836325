"""Staff pages name roles and audit actions in words of the page's language, never as codes."""

import ast
import re
from pathlib import Path

from app.core.audit import ACTION_LABELS
from app.proposals.models import ReportKind, Stage
from app.public_comment.models import ReviewAction

APP = Path(__file__).resolve().parents[2] / "app"

# Codes built at run time, by the f-string that builds them (source text of the argument).
BUILT = {
    "f'plan.edit_{type(obj).__name__.lower()}'": [
        "plan.edit_recommendation",
        "plan.edit_initiative",
        "plan.edit_action",
    ],
    "f'proposals.stage.{stage.value}'": [f"proposals.stage.{s.value}" for s in Stage],
    "f'proposals.report.{kind.value}'": [f"proposals.report.{k.value}" for k in ReportKind],
    "f'proposals.evaluation.{side}'": [
        "proposals.evaluation.group",
        "proposals.evaluation.division",
    ],
    "f'public_comment.{action.value}'": [f"public_comment.{a.value}" for a in ReviewAction],
}
# Codes passed through a variable (accounts: the user update and the two password paths).
THROUGH_A_VARIABLE = ["user.role", "user.update", "password.change", "password.reset"]


def recorded_codes() -> set[str]:
    """Every action code the application passes to audit.record, read from the source."""
    codes = set(THROUGH_A_VARIABLE)
    for path in APP.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or len(node.args) < 2:
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if name != "record":
                continue
            argument = node.args[1]
            branches = (
                [argument.body, argument.orelse] if isinstance(argument, ast.IfExp) else [argument]
            )
            for branch in branches:
                if isinstance(branch, ast.Constant):
                    codes.add(branch.value)
                elif isinstance(branch, ast.JoinedStr):
                    source = ast.unparse(branch)
                    assert source in BUILT, f"{path}: a new built code {source}: list it in BUILT"
                    codes.update(BUILT[source])
    return codes


def test_every_recorded_action_has_a_label():
    codes = recorded_codes()
    assert {"login", "login.failed", "logout.everywhere", "public_comment.regroup"} <= codes
    assert sorted(codes - set(ACTION_LABELS)) == []


def _cell(html, column):
    rows = re.findall(r"<tr>\s*(.*?)</tr>", html.split("<tbody>")[1], re.S)
    return [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[column] for row in rows]


def test_users_page_names_roles_in_the_pages_language(client, login_as, make_user):
    login_as("admin")
    make_user("reviewer")
    ja = client.get("/admin/users/?lang=ja").text
    assert set(_cell(ja, 2)) == {"管理者", "審査委員"}
    en = client.get("/admin/users/?lang=en").text
    assert "Administrator" in _cell(en, 2) and "Reviewer" in _cell(en, 2)


def test_audit_log_names_actions_in_the_pages_language(client, login_as):
    login_as("admin")  # logging in writes the entry "login"
    ja = client.get("/admin/audit?lang=ja").text
    assert "ログイン" in _cell(ja, 2) and "login" not in _cell(ja, 2)
    assert '<option value="login">ログイン</option>' in ja
    en = client.get("/admin/audit?lang=en").text
    assert "Logged in" in _cell(en, 2)
    assert '<option value="login">Logged in</option>' in en
