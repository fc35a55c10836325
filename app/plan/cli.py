"""`flask plan …` commands."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.plan.services import PlanFileError, load_plan

plan_cli = AppGroup("plan", help="The response table (答申対応表).")


@plan_cli.command("load")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("-v", "--verbose", is_flag=True, help="List every change.")
def load(path: str, verbose: bool) -> None:
    """Validate PATH and load it; running it again with the same file changes nothing."""
    try:
        result = load_plan(path)
    except PlanFileError as error:
        raise click.ClickException(f"plan file refused, nothing was changed:\n{error}") from None
    if verbose:
        for line in result.details:
            click.echo(f"  {line}")
    click.echo(
        f"{path}: {result.created} created, {result.updated} updated, {result.archived} archived"
    )
