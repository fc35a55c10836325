"""`flask demo load`: a believable city to click through. Idempotent: run it as often as you like.

The core knows no module above it: the plan loads its table, the accounts their logins and
the plan its progress through `register_demo` (in that order), then every activity kind adds
its own records (its manifest's `demo`, ActivityKind.demo).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.core import activity
from app.extensions import db

DEMO_PASSWORD = "sankaku-demo-2026"

# The stages of a demo load that every kind builds on, in the order they run.
LOAD_PLAN = 10  # the response table, its departments and wards
LOAD_ACCOUNTS = 20  # staff, reviewers and citizens, in their departments
LOAD_PROGRESS = 30  # the plan's progress, recorded by the demo administrator


@dataclass
class DemoLogins:
    password: str = DEMO_PASSWORD
    accounts: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class DemoLoad:
    """One run of `flask demo load`, handed to each stage."""

    plan_file: str
    logins: DemoLogins = field(default_factory=DemoLogins)
    # Who records what the demo does (the demo administrator), set by the accounts' stage.
    admin: Any = None


DemoLoader = Callable[[DemoLoad], None]
_demo_loaders: list[tuple[int, DemoLoader]] = []


def register_demo(loader: DemoLoader, stage: int) -> DemoLoader:
    """Run `loader` in `stage` (LOAD_PLAN, LOAD_ACCOUNTS, LOAD_PROGRESS) of every demo load."""
    if (stage, loader) not in _demo_loaders:
        _demo_loaders.append((stage, loader))
    return loader


def load_demo(plan_file: str) -> DemoLogins:
    run = DemoLoad(plan_file)
    for _stage, loader in sorted(_demo_loaders, key=lambda item: item[0]):
        loader(run)
    # Services mail links back to the site: build URLs as a request to the public site would,
    # also from the CLI.
    from flask import current_app

    with current_app.test_request_context("/", base_url=current_app.config["PUBLIC_BASE_URL"]):
        for kind in activity.kinds():
            if kind.demo is not None:
                kind.demo()
    db.session.commit()
    return run.logins
