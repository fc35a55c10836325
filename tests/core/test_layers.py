"""The layer contracts (DESIGN.md §3; pyproject.toml [tool.importlinter]), which `make test` and
`make lint` check with import-linter: the tree keeps them, and each one breaks when a forbidden
import is added (to a copy of the tree, so the real one is never touched)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_tree_keeps_the_layer_contracts():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "forbidden", "contract"),
    [
        ("app/core/probe.py", "app.plan.models", "core imports no module above it"),
        ("app/core/probe.py", "app.councils.services", "core imports no module above it"),
        ("app/plan/probe.py", "app.accounts.models", "plan imports only core"),
        ("app/api/probe.py", "app.proposals.models", "reports and api import no domain module"),
        ("app/reports/probe.py", "app.public_comment", "reports and api import no domain module"),
        (
            "app/councils/probe.py",
            "app.consultations.staff_views",
            "councils imports no other domain module's views",
        ),
    ],
)
def test_a_forbidden_import_breaks_its_contract(tmp_path, module, forbidden, contract):
    shutil.copytree(
        ROOT / "app",
        tmp_path / "app",
        ignore=shutil.ignore_patterns("templates", "static", "__pycache__", "*.json"),
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    assert lint_imports(tmp_path).stdout.count(f"{contract}") >= 1
    # Imported inside a function, as lazy imports are: they count as much as any.
    (tmp_path / module).write_text(f"def probe():\n    import {forbidden}  # noqa: F401\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    broken = [line for line in result.stdout.splitlines() if line.endswith("BROKEN")]
    assert any(line.startswith(contract) for line in broken), result.stdout
    assert f"-> {forbidden}" in result.stdout
