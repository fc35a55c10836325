"""`flask consultations …`: reminders (run daily from cron)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

consultations_cli = AppGroup("consultations", help="Consultations and their sessions.")


@consultations_cli.command("remind")
def remind() -> None:
    """Queue reminders for tomorrow's sessions; running it twice sends once."""
    from app.consultations.services import send_reminders

    count = send_reminders()
    click.echo(f"{count} reminder(s) queued.")
