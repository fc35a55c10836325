"""`flask public-comments …` commands."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from app.extensions import db
from app.public_comment import services
from app.public_comment.models import CommentCase

public_comment_cli = AppGroup("public-comments", help="Public comment (パブリックコメント).")


@public_comment_cli.command("group")
@click.argument("case_id", type=int)
@click.option("--threshold", type=float, help="Similarity from which comments are grouped.")
def group(case_id: int, threshold: float | None) -> None:
    """Group identical and near-identical comments of a case (organised campaigns)."""
    if db.session.get(CommentCase, case_id) is None:
        raise click.ClickException(f"no public comment case {case_id}")
    started = time.perf_counter()
    groups = services.group_comments(case_id, threshold)
    click.echo(f"case {case_id}: {groups} groups in {time.perf_counter() - started:.1f} s")


@public_comment_cli.command("work")
@click.option("--limit", default=10, show_default=True)
def work(limit: int) -> None:
    """Run queued grouping jobs (requested from the staff pages); run it from cron."""
    done = services.run_grouping_jobs(limit)
    click.echo(f"{done} grouping jobs done")
