"""Options from flags, RECALL_SIM_* variables and a config file, resolved in one place."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest

from recall_sim.simulator.cli import _parser_for
from recall_sim.simulator.commands.config_file import (
    ConfigError,
    discover,
    substitute_variables,
)
from recall_sim.simulator.commands.layers import Resolved, load, resolve
from recall_sim.simulator.commands.options import (
    DEFAULT_BURST,
    DEFAULT_DEADLINE,
    OPTIONS,
    options_for,
)
from recall_sim.simulator.prober import DEFAULT_DEADLINE as PROBER_DEADLINE
from tests.conformance.conftest import SIGNING_SECRET

URL = "http://127.0.0.1:9/cb?user-id=u1&auth_token=s3cr3t-Zulu-0f9e8d7c6b5a4938"
SECRET = "s3cr3t-Zulu-0f9e8d7c6b5a4938"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository root (discovery stops at its .git) with a working directory inside."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "sub").mkdir()
    return tmp_path


def _resolve(command: str, cwd: Path, env: dict[str, str] | None = None, **cli: Any) -> Resolved:
    return resolve(command, {"url": URL, **cli}, environ=env or {}, cwd=cwd)


# -- precedence: flag > environment > file > default ------------------------------------


def test_each_layer_beats_the_ones_below(repo: Path):
    (repo / "recall-sim.toml").write_text("burst = 5\n")
    env = {"RECALL_SIM_BURST": "7"}
    on_cli = _resolve("check", repo, env, burst="9")
    assert on_cli["burst"] == 9 and on_cli.sources["burst"] == "cli --burst"
    from_env = _resolve("check", repo, env)
    assert from_env["burst"] == 7 and from_env.sources["burst"] == "env RECALL_SIM_BURST"
    from_file = _resolve("check", repo)
    assert from_file["burst"] == 5 and from_file.sources["burst"] == "file recall-sim.toml"
    (repo / "recall-sim.toml").unlink()
    default = _resolve("check", repo)
    assert default["burst"] == DEFAULT_BURST and "burst" not in default.sources


def test_the_url_and_other_user_url_come_from_the_environment(repo: Path):
    other = URL.replace("u1", "u2")
    env = {"RECALL_SIM_URL": URL, "RECALL_SIM_OTHER_USER_URL": other}
    resolved = resolve("check", {}, environ=env, cwd=repo)
    assert resolved["url"] == URL and resolved["other_user_url"] == other
    assert resolved.sources["url"] == "env RECALL_SIM_URL"
    assert resolved.sources["other_user_url"] == "env RECALL_SIM_OTHER_USER_URL"


def test_argparse_leaves_unset_flags_to_the_lower_layers(
    repo: Path, monkeypatch: pytest.MonkeyPatch
):
    (repo / "recall-sim.toml").write_text('client-id = "from-file"\nstrict = true\n')
    monkeypatch.chdir(repo / "sub")
    monkeypatch.setenv("RECALL_SIM_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("RECALL_SIM_STRICT", "false")
    argv = ["check", URL, "--rule", "auth", "--rule", "contract"]
    args = _parser_for(argv).parse_args(argv)
    resolved = load("check", args)
    assert resolved["client_id"] == "from-file"
    assert resolved["signing_secret"] == SIGNING_SECRET
    assert resolved["strict"] is False  # the environment overrides the file's true
    assert resolved["rules"] == ("auth", "contract")
    assert resolved["burst"] == DEFAULT_BURST
    assert resolved.sources["client_id"].startswith("file ")
    assert resolved.sources["client_id"].endswith("recall-sim.toml")


def test_lists_and_flags_from_the_environment(repo: Path):
    env = {"RECALL_SIM_RULE": "auth, contract.deadline-5s", "RECALL_SIM_SHOW_SECRETS": "yes"}
    resolved = _resolve("check", repo, env)
    assert resolved["rules"] == ("auth", "contract.deadline-5s")
    assert resolved["show_secrets"] is True


def test_an_empty_variable_counts_as_unset(repo: Path):
    # CI systems expand a secret that is not configured to the empty string.
    resolved = _resolve("check", repo, {"RECALL_SIM_SIGNING_SECRET": "", "RECALL_SIM_BURST": ""})
    assert resolved["signing_secret"] is None and resolved["burst"] == DEFAULT_BURST


def test_the_watch_and_probe_tables_take_their_own_options(repo: Path):
    (repo / "recall-sim.toml").write_text("burst = 5\ninterval = 2.5\ndeadline = 9\n")
    assert _resolve("watch", repo)["interval"] == 2.5
    probe = _resolve("probe", repo)
    assert probe["deadline"] == 9.0
    assert "burst" not in probe.values and "interval" not in probe.values


# -- bad values: the source, the problem, never a secret --------------------------------


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"RECALL_SIM_BURST": "0"}, "env RECALL_SIM_BURST: --burst must be between 1 and 500"),
        ({"RECALL_SIM_BURST": "many"}, "env RECALL_SIM_BURST: --burst must be a whole number"),
        ({"RECALL_SIM_STRICT": "maybe"}, "RECALL_SIM_STRICT: must be one of 1/true/yes/on"),
        ({"RECALL_SIM_SIGNING_SECRET": f"whsec{SECRET}"}, "RECALL_SIM_SIGNING_SECRET: --signing"),
        ({"RECALL_SIM_OTHER_USER_URL": f"ftp://x/cb?auth_token={SECRET}"}, "OTHER_USER_URL: --"),
        ({"RECALL_SIM_COLOR": "blue"}, "env RECALL_SIM_COLOR: --color must be one of"),
    ],
)
def test_a_bad_variable_is_named_with_the_problem_and_no_secret(
    repo: Path, env: dict[str, str], words: str
):
    with pytest.raises(ConfigError) as raised:
        _resolve("check", repo, env)
    assert words in str(raised.value)
    assert SECRET not in str(raised.value)


def test_a_bad_url_from_the_environment_names_the_variable_not_the_url(repo: Path):
    env = {"RECALL_SIM_URL": f"ftp://cb.example/x?auth_token={SECRET}"}
    with pytest.raises(ConfigError) as raised:
        resolve("probe", {}, environ=env, cwd=repo)
    message = str(raised.value)
    assert message.startswith("env RECALL_SIM_URL: URL is not callable: ")
    assert SECRET not in message and "cb.example" not in message


@pytest.mark.parametrize(
    ("toml", "words"),
    [
        ("burst = 'many'", "recall-sim.toml key 'burst': --burst must be a whole number"),
        ("burst = 0", "recall-sim.toml key 'burst': --burst must be between 1 and 500"),
        ("strict = 'yes'", "recall-sim.toml key 'strict': must be true or false"),
        ("burst = [1, 2]", "key 'burst': must be a string or a number, got a TOML array"),
        (f"signing-secret = 'x{SECRET}'", "key 'signing-secret': --signing-secret is malformed"),
        ("signing_secret = 'x'", "key 'signing_secret': write option names with dashes"),
        ("burst = ", "recall-sim.toml is not valid TOML"),
    ],
)
def test_a_bad_file_value_names_the_file_and_key(repo: Path, toml: str, words: str):
    (repo / "recall-sim.toml").write_text(toml + "\n")
    with pytest.raises(ConfigError) as raised:
        _resolve("check", repo)
    assert words in str(raised.value)
    assert SECRET not in str(raised.value)


def test_an_unknown_key_is_a_warning_naming_it(repo: Path):
    (repo / "recall-sim.toml").write_text("burts = 5\nburst = 6\n")
    resolved = _resolve("check", repo)
    assert resolved["burst"] == 6
    assert resolved.warnings == ("recall-sim.toml: unknown key 'burts' (ignored)",)


def test_secret_param_takes_a_string_or_a_list(repo: Path):
    (repo / "recall-sim.toml").write_text('secret-param = "auth_token"\n')
    assert _resolve("probe", repo)["secret_params"] == ("auth_token",)
    (repo / "recall-sim.toml").write_text('secret-param = ["auth_token", "sig"]\n')
    assert _resolve("probe", repo)["secret_params"] == ("auth_token", "sig")


# -- ${VAR} substitution, coverage.py's semantics ----------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$TOKEN", "t0k"),
        ("${TOKEN}", "t0k"),
        ("a${TOKEN}b", "at0kb"),
        ("${TOKEN?}", "t0k"),
        ("${MISSING}", ""),
        ("$MISSING/x", "/x"),
        ("${MISSING-fallback}", "fallback"),
        ("${TOKEN-fallback}", "t0k"),
        ("$$TOKEN", "$TOKEN"),
        ("cost: $$5", "cost: $5"),
    ],
)
def test_substitution(text: str, expected: str):
    assert substitute_variables(text, {"TOKEN": "t0k"}) == expected


def test_a_strict_variable_that_is_unset_is_an_error_naming_it(repo: Path):
    (repo / "recall-sim.toml").write_text('signing-secret = "${RECALL_SIGNING?}"\n')
    with pytest.raises(ConfigError) as raised:
        _resolve("check", repo)
    assert str(raised.value) == (
        "recall-sim.toml key 'signing-secret': environment variable RECALL_SIGNING is not set "
        "(${RECALL_SIGNING?})"
    )


def test_file_values_are_substituted_from_the_environment(repo: Path):
    (repo / "recall-sim.toml").write_text(
        'url = "${CB_URL}"\nsigning-secret = "${CB_SIGNING?}"\nrule = ["${GROUP-auth}"]\n'
    )
    env = {"CB_URL": URL, "CB_SIGNING": SIGNING_SECRET}
    resolved = resolve("check", {}, environ=env, cwd=repo / "sub")
    assert resolved["url"] == URL
    assert resolved["signing_secret"] == SIGNING_SECRET
    assert resolved["rules"] == ("auth",)


# -- discovery: uv's rules ---------------------------------------------------------------


def test_discovery_walks_up_to_the_repository_root(repo: Path):
    (repo / "recall-sim.toml").write_text("burst = 3\n")
    assert discover(repo / "sub") == repo / "recall-sim.toml"
    inner = repo / "sub" / "nested"
    (inner / ".git").mkdir(parents=True)  # a nested repository: its root ends the walk
    assert discover(inner) is None


def test_recall_sim_toml_beats_pyproject_in_the_same_directory(repo: Path):
    (repo / "pyproject.toml").write_text("[tool.recall-sim]\nburst = 4\n")
    assert discover(repo) == repo / "pyproject.toml"
    (repo / "recall-sim.toml").write_text("burst = 3\n")
    assert discover(repo) == repo / "recall-sim.toml"


def test_a_pyproject_without_the_tool_table_is_passed_over(repo: Path):
    (repo / "recall-sim.toml").write_text("burst = 3\n")
    (repo / "sub" / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert discover(repo / "sub") == repo / "recall-sim.toml"


def test_the_pyproject_tool_table_is_read_and_named(repo: Path):
    (repo / "pyproject.toml").write_text("[tool.recall-sim]\nburst = 4\n[tool.other]\nx = 1\n")
    resolved = _resolve("check", repo / "sub")
    assert resolved["burst"] == 4
    assert resolved.sources["burst"].endswith("pyproject.toml [tool.recall-sim]")


def test_config_file_replaces_discovery_and_no_config_turns_it_off(repo: Path):
    (repo / "recall-sim.toml").write_text("burst = 3\n")
    other = repo / "ci.toml"
    other.write_text("burst = 11\n")
    assert _resolve("check", repo, config_file=other)["burst"] == 11
    assert _resolve("check", repo, {"RECALL_SIM_CONFIG_FILE": str(other)})["burst"] == 11
    assert _resolve("check", repo, no_config=True)["burst"] == DEFAULT_BURST
    assert _resolve("check", repo, {"RECALL_SIM_NO_CONFIG": "1"})["burst"] == DEFAULT_BURST


def test_a_missing_config_file_is_an_error(repo: Path):
    with pytest.raises(ConfigError, match=r"config file .*nope\.toml does not exist"):
        _resolve("check", repo, config_file=repo / "nope.toml")


# -- one table ---------------------------------------------------------------------------


def test_every_option_has_an_env_name_from_its_flag():
    for option in OPTIONS:
        assert option.env == "RECALL_SIM_" + option.name.upper().replace("-", "_")
    assert {o.name for o in options_for("check")} >= {"url", "other-user-url", "signing-secret"}
    assert "signing-secret" in {o.name for o in options_for("probe")}


@pytest.mark.parametrize("command", ["check", "watch", "probe"])
def test_every_table_option_is_a_flag_of_its_command(command: str):
    parser = _parser_for([command])
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    flags = {s for a in subparsers.choices[command]._actions for s in a.option_strings}
    for option in options_for(command):
        if option.kind != "positional":
            assert option.flag in flags


def test_the_deadline_default_is_the_probers():
    assert DEFAULT_DEADLINE == PROBER_DEADLINE


def test_the_readme_lists_every_option_with_its_variable_and_key():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for option in OPTIONS:
        assert f"| `{option.env}` | `{option.name}` |" in readme
