"""Argument parsing, the subcommand table, ``view`` and ``convert``, and exit codes.

Exit codes: 0 records were written; 1 a filter was given and nothing matched (like grep);
2 usage error or bad filter; 3 a needed optional dependency is missing; 4 an input could not
be read (the others are still processed); 130 interrupted; 141 the output pipe was closed.
"""

from __future__ import annotations

import argparse
import datetime
import math
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import fastlog_read
from fastlog_read import FilterError, Renderer, RenderOptions

from ._completion import SHELLS
from ._completion import script as completion_script
from ._output import Output, silence_stdout, use_colors
from ._web import run_web, web_arguments

__all__ = ["COMMANDS", "Command", "main"]

OK, NO_MATCH, USAGE, MISSING_DEPENDENCY, UNREADABLE = 0, 1, 2, 3, 4


class UsageError(Exception):
    """A usage problem found after argparse (exit 2)."""


class MissingDependency(Exception):
    """An optional dependency the command needs is not installed (exit 3)."""


@dataclass(frozen=True)
class Command:
    """One subcommand: its help, examples, argument builder and runner.

    ``run`` returns the exit code. Add an entry to :data:`COMMANDS` to add a subcommand.
    """

    help: str
    examples: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    filters: bool = True
    #: ``-f`` as the short form of ``--field`` (tail takes it for ``--follow``, as tail(1) does)
    field_short: bool = True


def add_filter_arguments(parser: argparse.ArgumentParser, *, field_short: bool = True) -> None:
    """The filters shared by view, convert, tail and stats."""
    group = parser.add_argument_group("filters")
    group.add_argument("-l", "--level", help="this level and above (name, prefix or number)")
    group.add_argument(
        "--logger",
        action="append",
        default=[],
        metavar="GLOB",
        help="logger glob, children included; !GLOB excludes (repeatable)",
    )
    group.add_argument(
        "--since", metavar="TIME", help="-15m, 2h, today, yesterday, HH:MM, YYYY-MM-DD or RFC 3339"
    )
    group.add_argument("--until", metavar="TIME", help="same grammar as --since (exclusive)")
    group.add_argument(
        *(("-f", "--field") if field_short else ("--field",)),
        action="append",
        default=[],
        metavar="EXPR",
        dest="predicates",
        help="key=v, key!=v, key>n, key>=n, key<n, key<=n, key~regex, or key (present); "
        "dotted keys reach nested fields (repeatable, all must hold)",
    )
    group.add_argument("--grep", metavar="REGEX", help="regular expression searched in the message")
    group.add_argument("--trace-id", metavar="ID", help="records of this trace")
    group.add_argument("--no-prefilter", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "files",
        nargs="*",
        default=["-"],
        metavar="FILE",
        help="log files (.gz read transparently); - or nothing for standard input",
    )


def build_filter(args: argparse.Namespace) -> fastlog_read.Filter:
    """The :class:`fastlog_read.Filter` for the parsed filter options."""
    now = None
    if os.environ.get("FASTLOG_NOW"):  # tests pin "now" for --since -15m
        now = datetime.datetime.fromisoformat(os.environ["FASTLOG_NOW"])
    return fastlog_read.parse_filter(
        level=args.level,
        loggers=args.logger,
        since=args.since,
        until=args.until,
        fields=args.predicates,
        grep=args.grep,
        trace_id=args.trace_id,
        now=now,
    )


def _csv(text: str | None) -> tuple[str, ...] | None:
    return None if text is None else tuple(part.strip() for part in text.split(",") if part.strip())


def _render_options(args: argparse.Namespace) -> RenderOptions:
    """The rendering ``_view_arguments`` asks for (view and tail)."""
    return RenderOptions(
        colors=use_colors(args.color, sys.stdout),
        time=args.time,
        fields=_csv(args.show_fields),
        hide=_csv(args.hide) or (),
    )


def _view_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the output (auto: on a terminal, unless NO_COLOR is set)",
    )
    parser.add_argument(
        "--time",
        choices=("utc", "local", "relative"),
        default="utc",
        help="clock shown: utc (default), local, or relative to the first record",
    )
    parser.add_argument(
        "--fields", metavar="A,B", dest="show_fields", help="show only these fields"
    )
    parser.add_argument("--hide", metavar="A,B", help="never show these fields")
    parser.add_argument("--raw", action="store_true", help="write the matching lines as read")
    parser.add_argument(
        "--no-pager", action="store_true", help="never page (the default pages on a terminal)"
    )


class _Errors:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, path: str, exc: OSError) -> None:
        self.count += 1
        reason = exc.strerror or str(exc)
        sys.stderr.write(f"fastlog: {path}: {reason}\n")


def _stream(args: argparse.Namespace, write: Callable[[fastlog_read.Record], bytes]) -> int:
    flt = build_filter(args)
    errors = _Errors()
    output = Output(pager=not getattr(args, "no_pager", True))
    shown = 0
    follow_input = args.files == ["-"] and not sys.stdin.isatty()
    buffer: list[bytes] = []
    size = 0
    try:
        for record in fastlog_read.read(
            args.files, flt, prefilter=not args.no_prefilter, on_error=errors
        ):
            data = write(record)
            buffer.append(data)
            size += len(data)
            shown += 1
            if size > 1 << 16 or follow_input:
                output.write(b"".join(buffer))
                buffer.clear()
                size = 0
                if follow_input:
                    output.flush()
        output.write(b"".join(buffer))
        output.close()
    except BrokenPipeError:
        silence_stdout()
        paging = output.paging
        output.close()
        return OK if paging else 141
    if errors.count:
        return UNREADABLE
    return NO_MATCH if (shown == 0 and flt.active) else OK


def run_view(args: argparse.Namespace) -> int:
    """``fastlog view``."""
    if args.raw:
        return _stream(args, lambda record: record.raw + b"\n")
    options = _render_options(args)
    renderer = Renderer(options)
    if len(args.files) == 1 and not build_filter(args).active:
        return _stream_lines(args, renderer)
    render, separator = renderer.render, renderer.separator
    return _stream(
        args,
        lambda record: (separator(record) + render(record)).encode("utf-8", "backslashreplace"),
    )


def _stream_lines(args: argparse.Namespace, renderer: Renderer) -> int:
    # Unfiltered view of one input: render whole chunks of raw lines (fastlog's default layout
    # without building records).
    path = args.files[0]
    output = Output(pager=not args.no_pager)
    live = path == "-" and not sys.stdin.isatty()
    try:
        try:
            for lines in fastlog_read.read_lines(path):
                output.write(renderer.render_chunk(lines, path))
                if live:
                    output.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            _Errors()(path, exc)
            output.close()
            return UNREADABLE
        output.close()
    except BrokenPipeError:
        silence_stdout()
        paging = output.paging
        output.close()
        return OK if paging else 141
    return OK


def _convert_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--to",
        required=True,
        choices=("json", "logfmt", "console", "msgpack"),
        help="output format, as fastlog's encoders write it",
    )


def run_convert(args: argparse.Namespace) -> int:
    """``fastlog convert``: records normalised to fastlog's default schema, then encoded."""
    import fastlog_core  # lazy: view does not pay for the core's import

    encode: Callable[[dict[str, Any]], bytes]
    if args.to == "json":
        import orjson

        encode = lambda d: orjson.dumps(d) + b"\n"  # noqa: E731
    elif args.to == "logfmt":
        encode = fastlog_core.LogfmtEncoder().encode
    elif args.to == "console":
        encode = fastlog_core.ConsoleEncoder(colors=False).encode
    else:
        try:
            import msgpack  # noqa: F401
        except ImportError:
            raise MissingDependency(
                "convert --to msgpack needs msgpack: pip install 'fastlog-py[msgpack]'"
            ) from None
        encode = fastlog_core.MsgpackEncoder().encode
    args.no_pager = True
    to_dict = fastlog_read.to_fastlog_schema
    return _stream(args, lambda record: encode(to_dict(record)))


def _tail_arguments(parser: argparse.ArgumentParser) -> None:
    _view_arguments(parser)
    parser.add_argument(
        "-f",
        "--follow",
        action="store_true",
        help="keep printing new records, across rotation (rename or copytruncate) and new "
        "files matching a quoted pattern",
    )
    parser.add_argument(
        "-n",
        "--lines",
        type=int,
        default=10,
        metavar="N",
        help="start at the last N lines of each file (default 10; 0: only new ones), "
        "merged by time",
    )
    parser.add_argument(
        "--interval",
        type=float,
        default=0.25,
        metavar="SECONDS",
        help="how often -f looks for new lines and files (default 0.25)",
    )


def run_tail(args: argparse.Namespace) -> int:
    """``fastlog tail``: the last lines of each file, then (``-f``) new ones as they come.

    The start lines of several files are merged by time, as ``view`` merges files; then lines
    are shown as they are read. A text line follows the record before it in its file.
    """
    if args.lines < 0:
        raise UsageError(f"-n {args.lines}: expected a number of lines, 0 or more")
    if not (args.interval > 0 and math.isfinite(args.interval)):
        raise UsageError(f"--interval {args.interval:g}: expected seconds, more than 0")
    if args.files == ["-"]:
        raise UsageError("tail needs files (or quoted patterns), not standard input")
    flt = build_filter(args)
    renderer = Renderer(_render_options(args))
    matchers: dict[str, fastlog_read.StreamMatch] = {}

    def kept(line: fastlog_read.FollowedLine) -> fastlog_read.Record | None:
        record = fastlog_read.parse_line(line.data, line.source)
        keep = matchers.get(line.source)
        if keep is None:
            keep = matchers[line.source] = flt.matcher()
        return record if keep(record) else None

    def show(record: fastlog_read.Record) -> bytes:
        if args.raw:
            return record.raw + b"\n"
        text = renderer.separator(record) + renderer.render(record)
        return text.encode("utf-8", "backslashreplace")

    out = sys.stdout.buffer
    try:
        with fastlog_read.Follower(
            args.files, start_lines=args.lines, interval=args.interval
        ) as follower:
            # The start lines: every poll until the files are read to their ends, by file.
            streams: dict[str, list[fastlog_read.Record]] = {}
            while True:
                for item in follower.poll():
                    if isinstance(item, fastlog_read.Notice):
                        _notice(item)
                    elif (record := kept(item)) is not None:
                        streams.setdefault(item.source, []).append(record)
                if not follower.busy:
                    break
            for record in fastlog_read.merge(list(streams.values())):
                out.write(show(record))
            out.flush()
            if not args.follow:
                return OK
            for item in follower:
                if isinstance(item, fastlog_read.Notice):
                    _notice(item)
                    continue
                if (record := kept(item)) is not None:
                    out.write(show(record))
                if not follower.busy:
                    out.flush()
            out.flush()
    except BrokenPipeError:
        silence_stdout()
        return 141
    return OK


def _notice(notice: fastlog_read.Notice) -> None:
    sys.stderr.write(f"fastlog: {notice}\n")
    sys.stderr.flush()


def _stats_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="the figures as one JSON object")
    parser.add_argument(
        "--top", type=int, default=10, metavar="N", help="top N message templates (default 10)"
    )
    parser.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the output (auto: on a terminal, unless NO_COLOR is set)",
    )
    parser.add_argument(
        "--time", choices=("utc", "local"), default="utc", help="clock shown (default utc)"
    )


def run_stats(args: argparse.Namespace) -> int:
    """``fastlog stats``: counts, rate histogram, top messages, errors, drop notes."""
    import shutil

    flt = build_filter(args)
    errors = _Errors()
    stats = fastlog_read.Stats(top=args.top)
    stats.update(fastlog_read.read(args.files, flt, prefilter=False, on_error=errors))
    try:
        if args.json:
            import orjson

            sys.stdout.buffer.write(orjson.dumps(stats.to_dict()) + b"\n")
        else:
            tz = datetime.datetime.now().astimezone().tzinfo if args.time == "local" else None
            stats.render(
                sys.stdout,
                width=shutil.get_terminal_size().columns,
                colors=use_colors(args.color, sys.stdout),
                tz=tz or datetime.UTC,
            )
        sys.stdout.flush()
    except BrokenPipeError:
        silence_stdout()
        return 141
    return UNREADABLE if errors.count else OK


def _query_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sql", metavar="SQL", help="a query over the view logs (and lines)")
    parser.add_argument(
        "files", nargs="+", metavar="FILE", help="log files (.gz read transparently), or -"
    )
    parser.add_argument(
        "--format",
        choices=("table", "csv", "json"),
        default="table",
        help="table (default), csv, or json (one object per row)",
    )
    parser.add_argument("--threads", type=int, metavar="N", help="DuckDB's threads")


def run_query_command(args: argparse.Namespace) -> int:
    """``fastlog query``: SQL over the files through DuckDB."""
    import shutil

    try:
        result = fastlog_read.run_query(args.sql, args.files, threads=args.threads)
        width = shutil.get_terminal_size().columns if sys.stdout.isatty() else None
        fastlog_read.write_result(result, sys.stdout, args.format, width=width)
        sys.stdout.flush()
    except fastlog_read.QueryError as exc:
        sys.stderr.write(f"fastlog: {exc.message}\n")
        return exc.exit_code
    except BrokenPipeError:
        silence_stdout()
        return 141
    return OK


def _completion_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("shell", choices=SHELLS, help="the shell the script is for")


def run_completion(args: argparse.Namespace) -> int:
    """``fastlog completion``: the shell's completion script, from this parser."""
    sys.stdout.write(completion_script(args.shell, build_parser()))
    sys.stdout.flush()
    return OK


COMMANDS: dict[str, Command] = {
    "view": Command(
        help="show records human-readable (the default subcommand)",
        examples="  fastlog app.log\n"
        "  fastlog view -l warning --logger 'app.*' app.log.1.gz app.log\n"
        "  fastlog view --since -15m -f 'ms>500' -f 'path~^/api' app.log\n"
        "  kubectl logs -f pod | fastlog view -",
        add_arguments=_view_arguments,
        run=run_view,
    ),
    "convert": Command(
        help="convert records to json, logfmt, console or msgpack",
        examples="  fastlog convert --to logfmt app.log > app.logfmt\n"
        "  fastlog convert --to json structlog.log | jq .",
        add_arguments=_convert_arguments,
        run=run_convert,
    ),
    "tail": Command(
        help="the last records of files, then new ones as they are written (-f)",
        examples="  fastlog tail -f app.log\n  fastlog tail -f -n 0 -l error 'logs/*.log'",
        add_arguments=_tail_arguments,
        run=run_tail,
        field_short=False,
    ),
    "stats": Command(
        help="counts by level and logger, records/s, top messages, errors, drop notes",
        examples="  fastlog stats app.log.1.gz app.log\n"
        "  fastlog stats --since today --json app.log",
        add_arguments=_stats_arguments,
        run=run_stats,
    ),
    "query": Command(
        help="SQL over the files through DuckDB (pip install 'fastlog-py[cli]')",
        examples='  fastlog query "SELECT level, count(*) FROM logs GROUP BY 1" app.log\n'
        '  fastlog query --format csv "SELECT time, message FROM logs '
        "WHERE fields->>'user_id' = '42'\" app.log",
        add_arguments=_query_arguments,
        run=run_query_command,
        filters=False,
    ),
    "web": Command(
        help="a local web viewer: histogram, filters, details, live tail (pip install "
        "'fastlog-py[web]')",
        examples="  fastlog web app.log\n  fastlog web --open app.log.1.gz app.log",
        add_arguments=web_arguments,
        run=run_web,
        filters=False,
    ),
    "completion": Command(
        help="print the shell completion script (bash, zsh or fish)",
        examples='  eval "$(fastlog completion bash)"    # in ~/.bashrc\n'
        '  eval "$(fastlog completion zsh)"     # in ~/.zshrc\n'
        "  fastlog completion fish > ~/.config/fish/completions/fastlog.fish",
        add_arguments=_completion_arguments,
        run=run_completion,
        filters=False,
    ),
}


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("fastlog-py")
    except PackageNotFoundError:
        return "unknown"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse's own exit code, with our prefix
        self.print_usage(sys.stderr)
        sys.stderr.write(f"fastlog: error: {message}\n")
        raise SystemExit(USAGE)


def build_parser() -> argparse.ArgumentParser:
    """The ``fastlog`` parser with every subcommand of :data:`COMMANDS`."""
    examples = "\n".join(command.examples for command in COMMANDS.values())
    parser = _Parser(
        prog="fastlog",
        description="Read, filter and convert JSON logs "
        "(fastlog, ECS, GCP, Datadog, OTel, structlog, "
        "loguru, python-json-logger, logfmt).",
        epilog=f"examples:\n{examples}\n\n"
        "exit codes: 0 ok, 1 nothing matched the filters, 2 usage error, "
        "3 missing optional dependency, 4 unreadable input",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"fastlog {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, command in COMMANDS.items():
        child = sub.add_parser(
            name,
            help=command.help,
            description=command.help,
            epilog=f"examples:\n{command.examples}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command.add_arguments(child)
        if command.filters:
            add_filter_arguments(child, field_short=command.field_short)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``fastlog`` command; returns the exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or (
        args_list[0] not in COMMANDS and args_list[0] not in ("-h", "--help", "--version")
    ):
        args_list.insert(0, "view")  # `fastlog app.log` means `fastlog view app.log`
    args_list = _join_negative_times(args_list)
    parser = build_parser()
    try:
        args = parser.parse_args(args_list)
        return COMMANDS[args.command].run(args)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else USAGE
    except FilterError as exc:
        sys.stderr.write(f"fastlog: {exc}\n{exc.caret()}\n")
        return USAGE
    except MissingDependency as exc:
        sys.stderr.write(f"fastlog: {exc}\n")
        return MISSING_DEPENDENCY
    except UsageError as exc:
        sys.stderr.write(f"fastlog: error: {exc}\n")
        return USAGE
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # never a traceback for the user; FASTLOG_DEBUG shows it
        if os.environ.get("FASTLOG_DEBUG"):
            raise
        sys.stderr.write(
            f"fastlog: internal error: {type(exc).__name__}: {exc} "
            "(set FASTLOG_DEBUG=1 for the traceback)\n"
        )
        return 70


def _join_negative_times(argv: list[str]) -> list[str]:
    # `--since -15m` would read -15m as an option: glue such values to their option.
    out: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if (
            arg in ("--since", "--until")
            and i + 1 < len(argv)
            and argv[i + 1].startswith("-")
            and argv[i + 1] != "-"
        ):
            out.append(f"{arg}={argv[i + 1]}")
            i += 2
            continue
        out.append(arg)
        i += 1
    return out
