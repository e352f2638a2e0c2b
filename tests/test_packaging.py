"""recall-sim installs under one import name, and its pytest plugin loads light."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What loading the plugin may bring beyond pytest itself: nothing of the suite's machinery.
PLUGIN_MODULES = {
    "recall_sim",
    "recall_sim.conformance",
    "recall_sim.conformance.plugin",
    "recall_sim.conformance.pytest_options",
}
HEAVY = ("hypothesis", "httpx", "h11", "fastapi", "starlette", "pydantic", "jwt", "uvicorn")


def _pyproject() -> dict[str, object]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_the_build_maps_every_package_of_the_repository_folders_under_recall_sim() -> None:
    setuptools = _pyproject()["tool"]["setuptools"]  # type: ignore[index]
    folders = {"simulator": "recall_sim.simulator", "conformance": "recall_sim.conformance"}
    assert setuptools["package-dir"] == {name: folder for folder, name in folders.items()}
    on_disk = {"recall_sim"} | {
        ".".join((folders[folder], *init.parent.relative_to(ROOT / folder).parts))
        for folder in folders
        for init in (ROOT / folder).rglob("__init__.py")
    }
    assert set(setuptools["packages"]) == on_disk


def test_entry_points_name_modules_under_recall_sim() -> None:
    project = _pyproject()["project"]
    assert project["scripts"] == {"recall-sim": "recall_sim.simulator.cli:main"}  # type: ignore[index]
    assert project["entry-points"]["pytest11"] == {"recall_sim": "recall_sim.conformance.plugin"}  # type: ignore[index]


def test_classifiers_declare_each_python_that_ci_runs() -> None:
    classifiers = _pyproject()["project"]["classifiers"]  # type: ignore[index]
    ci = (ROOT / ".ci" / "run").read_text()
    for version in ("3.11", "3.12", "3.13"):
        assert f"Programming Language :: Python :: {version}" in classifiers
        assert version in ci


def test_loading_the_plugin_imports_nothing_heavy_and_nothing_shadowable(tmp_path: Path) -> None:
    # Run where a user's own simulator/ and conformance/ packages sit on sys.path first.
    for name in ("simulator", "conformance"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text("raise ImportError('the user package')\n")
    script = (
        "import sys, pytest; before = set(sys.modules); "
        "import recall_sim.conformance.plugin; "
        "print('\\n'.join(sorted(set(sys.modules) - before)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    loaded = set(result.stdout.split())
    assert {m for m in loaded if m.startswith("recall_sim")} == PLUGIN_MODULES
    assert not {m for m in loaded if m.split(".")[0] in (*HEAVY, "simulator", "conformance")}
