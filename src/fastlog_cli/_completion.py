"""Shell completion scripts, generated from the command's own parser (one table to keep true).

``fastlog completion bash`` prints a bash function completing subcommands, each subcommand's
options, the values of options that have a fixed set (``--color``, ``--level``, ``--to``...)
and file names everywhere else. zsh loads the same function through ``bashcompinit``; fish
gets ``complete`` commands of its own.
"""

from __future__ import annotations

import argparse
import shlex

__all__ = ["SHELLS", "script"]

SHELLS = ("bash", "zsh", "fish")

#: Values offered for options that take a level (any name is accepted; these are the usual).
LEVELS = ("trace", "debug", "info", "success", "warning", "error", "critical")


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _options(parser: argparse.ArgumentParser) -> list[tuple[list[str], tuple[str, ...] | None]]:
    """Each option's spellings, and its values when they are a fixed set (``None``: any
    value, or a flag)."""
    out: list[tuple[list[str], tuple[str, ...] | None]] = []
    for action in parser._actions:
        if not action.option_strings or action.help == argparse.SUPPRESS:
            continue
        values: tuple[str, ...] | None = None
        if action.choices is not None:
            values = tuple(str(choice) for choice in action.choices)
        elif action.dest == "level":
            values = LEVELS
        out.append((list(action.option_strings), values))
    return out


def _bash(parser: argparse.ArgumentParser) -> str:
    commands = _subcommands(parser)
    names = " ".join(commands)
    options_of: list[str] = []
    values_of: list[str] = []
    positionals: list[str] = []
    for name, sub in commands.items():
        for action in sub._actions:
            if not action.option_strings and action.choices is not None:
                words = " ".join(str(choice) for choice in action.choices)
                positionals.append(
                    f'        {name}) COMPREPLY=($(compgen -W {shlex.quote(words)} -- "$cur"))'
                    "; return ;;"
                )
        spellings = [s for strings, _ in _options(sub) for s in strings]
        options_of.append(f"        {name}) opts={shlex.quote(' '.join(spellings))} ;;")
        for strings, values in _options(sub):
            if values:
                pattern = "|".join(f"{name}:{s}" for s in strings)
                values_of.append(
                    f"        {pattern}) COMPREPLY=($(compgen -W "
                    f'{shlex.quote(" ".join(values))} -- "$cur")); return ;;'
                )
    top = " ".join(s for strings, _ in _options(parser) for s in strings)
    return f"""\
# fastlog completion for bash: eval "$(fastlog completion bash)" (e.g. in ~/.bashrc)
_fastlog() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" prev="${{COMP_WORDS[COMP_CWORD-1]}}"
    local sub="" word i
    for ((i = 1; i < COMP_CWORD; i++)); do
        word="${{COMP_WORDS[i]}}"
        case "$word" in
            {names.replace(" ", "|")}) sub="$word"; break ;;
        esac
    done
    local key="${{sub:-view}}"
    case "$key:$prev" in
{chr(10).join(values_of)}
    esac
    if [[ "$cur" == -* ]]; then
        local opts=""
        case "$key" in
{chr(10).join(options_of)}
        esac
        [[ -z "$sub" ]] && opts="$opts {top}"
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        return
    fi
    if [[ -z "$sub" ]]; then
        COMPREPLY=($(compgen -W "{names}" -- "$cur") $(compgen -f -- "$cur"))
        return
    fi
    case "$sub" in
{chr(10).join(positionals)}
    esac
    COMPREPLY=($(compgen -f -- "$cur"))
}}
complete -o filenames -F _fastlog fastlog
"""


def _zsh(parser: argparse.ArgumentParser) -> str:
    return (
        '# fastlog completion for zsh: eval "$(fastlog completion zsh)" (e.g. in ~/.zshrc)\n'
        "autoload -U +X bashcompinit && bashcompinit\n" + _bash(parser).split("\n", 1)[1]
    )


def _fish(parser: argparse.ArgumentParser) -> str:
    commands = _subcommands(parser)
    lines = [
        "# fastlog completion for fish: fastlog completion fish | source",
        "complete -c fastlog -f",
    ]
    for name, sub in commands.items():
        lines.append(
            f"complete -c fastlog -n __fish_use_subcommand -a {name} "
            f"-d {shlex.quote(sub.description or '')}"
        )
    for name, sub in commands.items():
        when = f"-n '__fish_seen_subcommand_from {name}'"
        for strings, values in _options(sub):
            flags = " ".join(
                f"-l {s[2:]}" if s.startswith("--") else f"-s {s[1:]}" for s in strings
            )
            extra = f" -xa {shlex.quote(' '.join(values))}" if values else ""
            lines.append(f"complete -c fastlog {when} {flags}{extra}")
        lines.append(f"complete -c fastlog {when} -F")
    return "\n".join(lines) + "\n"


def script(shell: str, parser: argparse.ArgumentParser) -> str:
    """The completion script for *shell* (one of ``SHELLS``)."""
    if shell == "bash":
        return _bash(parser)
    if shell == "zsh":
        return _zsh(parser)
    if shell == "fish":
        return _fish(parser)
    raise ValueError(f"shell={shell!r}: expected one of {', '.join(SHELLS)}")
