"""`flask voice …` commands, run from cron."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.voice import services

voice_cli = AppGroup("voice", help="Citizens' voice (市民の声).")


@voice_cli.command("remind")
def remind() -> None:
    """Remind divisions of answers due soon, and send due follow-up questions; daily."""
    reminded = services.send_reminders()
    followed = services.send_follow_ups()
    click.echo(f"{reminded} reminders, {followed} follow-up questions queued")
