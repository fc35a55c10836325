"""CLI commands that belong to no module: translations, mail, demo data."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

translate_cli = AppGroup("translate", help="Extract, update and compile translations.")
mail_cli = AppGroup("mail", help="The mail outbox.")
demo_cli = AppGroup("demo", help="Demo data.")

ROOT = Path(__file__).resolve().parents[2]
SOURCE_LANGUAGE = "en"
SOURCE_LANGUAGE = "en"


def _pybabel(*args: str) -> None:
    result = subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], cwd=ROOT)
    if result.returncode:
        raise click.ClickException(f"pybabel {args[0]} failed")


def _extract() -> None:
    _pybabel(
        "extract",
        "-F",
        "babel.cfg",
        "-k",
        "_l",
        "--no-location",
        "--sort-output",
        "-o",
        "messages.pot",
        ".",
    )


@translate_cli.command("update")
def translate_update() -> None:
    """Extract strings and merge them into every catalogue."""
    _extract()
    _pybabel(
        "update",
        "-i",
        "messages.pot",
        "-d",
        "translations",
        "--no-fuzzy-matching",
        "--ignore-obsolete",
    )
    (ROOT / "messages.pot").unlink()
    fill_source_catalogue(ROOT / "translations" / SOURCE_LANGUAGE / "LC_MESSAGES" / "messages.po")


def fill_source_catalogue(path: Path) -> None:
    """The source strings are English, so the English catalogue is the identity. Filling it here
    keeps the test that refuses untranslated entries meaningful for English without hand copying.
    """
    from babel.messages.pofile import read_po, write_po

    with path.open("rb") as handle:
        catalogue = read_po(handle)
    for message in catalogue:
        if not message.id:
            continue
        if message.pluralizable:
            if not all(message.string):
                message.string = tuple(message.id)
        elif not message.string:
            message.string = message.id
    with path.open("wb") as handle:
        write_po(handle, catalogue, width=100)


@translate_cli.command("compile")
def translate_compile() -> None:
    """Compile the catalogues into .mo files."""
    _pybabel("compile", "-d", "translations", "--statistics")


@translate_cli.command("init")
@click.argument("language")
def translate_init(language: str) -> None:
    """Start a catalogue for a new language."""
    _extract()
    _pybabel("init", "-i", "messages.pot", "-d", "translations", "-l", language)
    (ROOT / "messages.pot").unlink()


@mail_cli.command("send")
@click.option("--limit", default=500, show_default=True)
def mail_send(limit: int) -> None:
    """Send queued mail over SMTP (prints it when MAIL_SERVER is not set)."""
    from app.core.mail import send_pending

    sent, failed = send_pending(limit)
    click.echo(f"sent {sent}, failed {failed}", err=True)
    if failed:
        sys.exit(1)


@demo_cli.command("load")
def demo_load() -> None:
    """Load the response table and a believable demo city (idempotent)."""
    from app.core.demo import load_demo

    logins = load_demo(current_app.config["PLAN_FILE"])
    click.echo(f"Demo logins (password for all: {logins.password}):")
    for role, email in logins.accounts:
        click.echo(f"  {role:<28} {email}")
