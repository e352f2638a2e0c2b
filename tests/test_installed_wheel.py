"""The built wheel, installed as a user installs it, beside a project with its own
``simulator/`` and ``conformance/`` packages: the project's tests still run, and
``recall-sim check`` and ``pytest --callback-url`` work from inside it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.flawed_callback import callback_url

ROOT = Path(__file__).resolve().parent.parent
SOURCE_SKIP = shutil.ignore_patterns(
    ".git", ".venv*", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis"
)

USER_PACKAGE = "WHO = {name!r}\n"
USER_TESTS = """\
import sys

import conformance
import simulator


def test_own_packages_are_the_projects():
    assert (simulator.WHO, conformance.WHO) == ("user simulator", "user conformance")


def test_recall_sim_plugin_loaded_but_idle():
    assert "recall_sim.conformance.plugin" in sys.modules
    # Declaring the --callback-* options reads the options table (standard library only);
    # nothing of the simulator or the suite is imported until --callback-url is given.
    options_table = {
        "recall_sim.simulator",
        "recall_sim.simulator.commands",
        "recall_sim.simulator.commands.options",
        "recall_sim.simulator.commands.arguments",
        "recall_sim.simulator.redaction",
    }
    loaded = {name for name in sys.modules if name.startswith("recall_sim.simulator")}
    assert loaded <= options_table, loaded - options_table
"""
USER_PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["."]
testpaths = ["tests"]
"""

pytestmark = pytest.mark.slow


def _run(args: list[str], *, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A fresh venv holding the wheel built from this checkout (not an editable install)."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(ROOT, source, symlinks=True, ignore=SOURCE_SKIP)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    built = _run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(work), "."],
        cwd=source,
        env=env,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = work.glob("recall_sim-*.whl")
    venv = work / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=work, env=env).check_returncode()
    installing = _run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
        cwd=work,
        env=env,
    )
    assert installing.returncode == 0, installing.stderr
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return venv / "bin", env


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A user's project whose own packages are named simulator and conformance."""
    for name in ("simulator", "conformance"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(USER_PACKAGE.format(name=f"user {name}"))
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_own.py").write_text(USER_TESTS)
    (tmp_path / "pyproject.toml").write_text(USER_PYPROJECT)
    return tmp_path


def test_the_wheel_installs_only_recall_sim(installed: tuple[Path, dict[str, str]]) -> None:
    bin_dir, env = installed
    listing = _run(
        [
            str(bin_dir / "python"),
            "-c",
            "import recall_sim, pathlib; print(pathlib.Path(recall_sim.__file__).parent.parent)",
        ],
        cwd=bin_dir,
        env=env,
    )
    site_packages = Path(listing.stdout.strip())
    ours = {p.name for p in site_packages.iterdir() if "recall" in p.name.lower()}
    assert {name for name in ours if not name.endswith(".dist-info")} == {"recall_sim"}
    assert not (site_packages / "simulator").exists()
    assert not (site_packages / "conformance").exists()


@pytest.mark.parametrize("runner", [["python", "-m", "pytest"], ["pytest"]], ids=["-m", "script"])
def test_the_users_own_tests_run_and_pass(
    installed: tuple[Path, dict[str, str]], project: Path, runner: list[str]
) -> None:
    bin_dir, env = installed
    result = _run(
        [str(bin_dir / runner[0]), *runner[1:], "-q", "-p", "no:cacheprovider"],
        cwd=project,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_check_and_the_pytest_plugin_work_from_the_project(
    installed: tuple[Path, dict[str, str]],
    project: Path,
    serve_flawed: Callable[..., str],
) -> None:
    bin_dir, env = installed
    url = callback_url(serve_flawed(None))
    fast = ["--callback-fuzz-examples", "20", "--callback-burst", "4"]

    checked = _run(
        [str(bin_dir / "recall-sim"), "check", url, "--fuzz-examples", "20", "--burst", "4"],
        cwd=project,
        env=env,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "contract.min-validity-120s" in checked.stdout

    suite = _run(
        [
            str(bin_dir / "pytest"),
            "-p",
            "no:cacheprovider",
            "--callback-url",
            url,
            *fast,
            "--deselect",
            "tests/test_own.py::test_recall_sim_plugin_loaded_but_idle",
        ],
        cwd=project,
        env=env,
    )
    assert suite.returncode == 0, suite.stdout + suite.stderr
    assert "recall-sim conformance" in suite.stdout
    assert "contract.min-validity-120s" in suite.stdout
