"""`flask surveys …` commands, run from cron."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.surveys import services

surveys_cli = AppGroup("surveys", help="Surveys, the citizens' panel and participant feedback.")


@surveys_cli.command("feedback")
def feedback() -> None:
    """Offer the feedback questionnaire for every session held since the last run; daily."""
    offered = services.offer_feedback_for_held_sessions()
    click.echo(f"{offered} feedback questionnaires offered")
