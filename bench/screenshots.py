"""PNGs of the main public pages for review (issue 18; not compared by any test).

    .venv/bin/python -m bench.screenshots --out screenshots      (or `make screenshots`)

Loads the demo data into a fresh SQLite database in a temporary folder, serves it on a free
loopback port in a thread, and saves each page of `main_public_pages` at 390 and 1280 px in
Japanese and English as full-page PNGs named <page>-<language>-<width>.png. The browser is
Debian's Chromium (CHROMIUM_PATH), as in the browser tests.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

WIDTHS = (390, 1280)
LANGUAGES = ("ja", "en")


def main_public_pages(html_of: Callable[[str], str]) -> list[str]:
    """The public pages a resident meets first, one record of each kind taken from the lists
    (so any data set will do): the home page, an initiative, the reports and the annual report,
    public comments and a case, consultations and a session, councils, proposals and the
    accessibility policy. `html_of(path)` returns a page's HTML."""

    def first_link(path: str, pattern: str) -> list[str]:
        found = re.search(rf'href="({pattern})"', html_of(path))
        return [found.group(1)] if found else []

    return [
        "/",
        *first_link("/", r"/initiatives/\d+"),
        "/reports",
        "/reports/annual",
        "/public-comments",
        *first_link("/public-comments", r"/public-comments/\d+"),
        "/consultations/",
        *first_link("/consultations/", r"/consultations/sessions/\d+"),
        "/councils/",
        "/proposals/",
        "/accessibility",
    ]


def file_name(path: str, language: str, width: int) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"
    return f"{slug}-{language}-{width}.png"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=Path("screenshots"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    from flask_migrate import upgrade
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from app import create_app
    from app.core.demo import load_demo
    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

    with tempfile.TemporaryDirectory(prefix="sankaku-screenshots-") as folder:
        app = create_app(
            {
                "DEVELOPMENT": True,  # demo data on a throw-away database, never production
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/demo.sqlite3",
                "SESSION_COOKIE_SECURE": False,
                "RATELIMIT_ENABLED": False,
                "UPLOAD_FOLDER": f"{folder}/uploads",
            }
        )
        with app.app_context():
            upgrade()
            load_demo(app.config["PLAN_FILE"])
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per PNG is enough
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        base_url = f"http://127.0.0.1:{server.server_port}"
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                lister = browser.new_page(base_url=base_url)
                pages = main_public_pages(lambda path: lister.request.get(path).text())
                for width in WIDTHS:
                    context = browser.new_context(
                        base_url=base_url, viewport={"width": width, "height": 900}
                    )
                    page = context.new_page()
                    for language in LANGUAGES:
                        for path in pages:
                            response = page.goto(f"{path}?lang={language}")
                            status = response.status if response else "?"
                            target = args.out / file_name(path, language, width)
                            page.screenshot(path=str(target), full_page=True)
                            print(f"{status} {target}", flush=True)
                    context.close()
                browser.close()
        finally:
            server.shutdown()
            server.server_close()
    return 0


if __name__ == "__main__":
    os.environ.setdefault("SANKAKU_DEVELOPMENT", "1")
    sys.exit(main())
