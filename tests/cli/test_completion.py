"""``fastlog completion``: the scripts the real console script prints, the bash one run by a
real bash with the words a user would have typed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.cli.helpers import run_fastlog

BASH = shutil.which("bash")


def complete(script: Path, words: list[str], cwd: Path) -> list[str]:
    """What bash offers for the last of *words* (``""``: after a space), the script loaded."""
    array = " ".join(f"'{word}'" for word in words)
    program = (
        f"source {script}\n"
        f"COMP_WORDS=({array}); COMP_CWORD={len(words) - 1}\n"
        "_fastlog\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    assert BASH is not None
    done = subprocess.run(
        [BASH, "--norc", "-c", program], cwd=cwd, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return sorted(line for line in done.stdout.splitlines() if line)


@pytest.fixture(scope="module")
def bash_script(tmp_path_factory: pytest.TempPathFactory) -> Path:
    done = run_fastlog("completion", "bash")
    assert (done.returncode, done.stderr) == (0, "")
    path = tmp_path_factory.mktemp("completion") / "fastlog.bash"
    path.write_text(done.stdout)
    return path


class TestBash:
    def test_subcommands_and_files(self, bash_script: Path, tmp_path: Path) -> None:
        (tmp_path / "app.log").write_text("")
        (tmp_path / "stats.txt").write_text("")
        assert complete(bash_script, ["fastlog", "st"], tmp_path) == ["stats", "stats.txt"]
        assert complete(bash_script, ["fastlog", "view", "ap"], tmp_path) == ["app.log"]

    def test_options_of_each_subcommand(self, bash_script: Path, tmp_path: Path) -> None:
        assert complete(bash_script, ["fastlog", "view", "--co"], tmp_path) == ["--color"]
        assert complete(bash_script, ["fastlog", "tail", "--fo"], tmp_path) == ["--follow"]
        assert complete(bash_script, ["fastlog", "query", "--f"], tmp_path) == ["--format"]
        # no subcommand: view's options (view is the default), and the command's own
        assert complete(bash_script, ["fastlog", "--ver"], tmp_path) == ["--version"]
        assert complete(bash_script, ["fastlog", "--gr"], tmp_path) == ["--grep"]

    def test_values_of_options_with_a_fixed_set(self, bash_script: Path, tmp_path: Path) -> None:
        assert complete(bash_script, ["fastlog", "view", "--color", ""], tmp_path) == [
            "always",
            "auto",
            "never",
        ]
        assert complete(bash_script, ["fastlog", "-l", "e"], tmp_path) == ["error"]
        assert complete(bash_script, ["fastlog", "convert", "--to", "l"], tmp_path) == ["logfmt"]
        assert complete(bash_script, ["fastlog", "completion", ""], tmp_path) == [
            "bash",
            "fish",
            "zsh",
        ]


def test_zsh_loads_the_bash_function() -> None:
    bash, zsh = run_fastlog("completion", "bash"), run_fastlog("completion", "zsh")
    assert zsh.returncode == 0
    head, body = zsh.stdout.split("\n", 2)[:2], zsh.stdout.split("\n", 2)[2]
    assert head[1] == "autoload -U +X bashcompinit && bashcompinit"
    assert body == bash.stdout.split("\n", 1)[1]


def test_fish_script() -> None:
    done = run_fastlog("completion", "fish")
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert (
        "complete -c fastlog -n __fish_use_subcommand -a tail "
        "-d 'the last records of files, then new ones as they are written (-f)'"
    ) in lines
    assert (
        "complete -c fastlog -n '__fish_seen_subcommand_from view' -l color -xa 'auto always never'"
        in lines
    )
    assert "complete -c fastlog -n '__fish_seen_subcommand_from tail' -s f -l follow" in lines


def test_unknown_shell_is_a_usage_error() -> None:
    done = run_fastlog("completion", "tcsh")
    assert done.returncode == 2
    assert "invalid choice: 'tcsh'" in done.stderr
