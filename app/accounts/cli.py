"""`flask users …` commands."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from app.accounts import services
from app.accounts.models import User
from app.core.permissions import Role
from app.extensions import db
from app.plan.models import Department

users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", "display_name", required=True)
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    default=Role.STAFF.value,
    show_default=True,
)
@click.option(
    "--department",
    "department_code",
    help="Department code, e.g. kocho or "
    "ku-yakusho-chuo (per-ward departments take the ward's code).",
)
@click.option("--password", help="Set a password now instead of e-mailing an invitation.")
def create(
    email: str, display_name: str, role: str, department_code: str | None, password: str | None
) -> None:
    """Create an account."""
    department_id = None
    if department_code:
        department = db.session.scalar(
            sa.select(Department).where(Department.code == department_code)
        )
        if department is None or department.per_ward:
            raise click.BadParameter(
                f"no such department: {department_code}", param_hint="--department"
            )
        department_id = department.id
    try:
        user = services.create_user(
            None, email, display_name, Role(role), department_id, password=password
        )
    except services.AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"created {user.role.value} {user.email} (id {user.id})")


@users_cli.command("list")
def list_users() -> None:
    """List accounts that are not citizens."""
    for user in db.session.scalars(
        sa.select(User).where(User.role != Role.CITIZEN).order_by(User.role, User.email)
    ):
        department = user.department.code if user.department else "-"
        click.echo(f"{user.id}\t{user.role.value}\t{department}\t{user.email}")
