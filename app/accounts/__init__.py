"""Accounts: citizens register themselves; staff, reviewers and admins are made by admins."""

from flask import Blueprint

from app.core.demo import LOAD_ACCOUNTS, register_demo
from app.core.permissions import guard_blueprint, is_admin

bp = Blueprint("accounts", __name__, template_folder="templates")
admin_bp = guard_blueprint(
    Blueprint("accounts_admin", __name__, template_folder="templates", url_prefix="/admin/users"),
    is_admin,
)

from app.accounts import cli, demo, sessions, staff_views, views  # noqa: E402,F401

register_demo(demo.load_demo, LOAD_ACCOUNTS)
