"""What this adapter relies on in loguru and ``inspect`` beyond their documented API, in one place.

loguru (0.7.3, ``_simple_sinks.StreamSink``) calls a sink object's ``complete()`` from
``logger.complete()`` only when ``inspect.iscoroutinefunction(sink.complete)`` is true. No
public way marks a plain callable object as a coroutine function for ``inspect`` on every
supported Python (``inspect.markcoroutinefunction``, 3.12+, takes functions only), so
``CoroutineFunctionLike`` lends its instances a coroutine's code object and the function-like
attributes ``inspect._signature_is_functionlike`` reads. ``tests/loguru/test_host.py`` pins it
against the installed loguru and Python: it fails on the version that changes either.

loguru (0.7.3, ``Logger.add``) takes the encoding of an object sink from its ``encoding``
attribute, and ``ascii`` when there is none; its ``ExceptionFormatter`` draws the ``diagnose``
and ``backtrace`` markers (``│``, ``└``, ``➥``, ``>``) only in characters that encoding can
encode. A file sink's encoding is ``utf8``, so ``FastlogSink.encoding`` is ``SINK_ENCODING``:
the traceback text in ``schema="loguru"``'s ``text`` is then the one ``serialize=True`` writes
to a file. ``tests/loguru/test_host.py`` pins that loguru reads it.
"""

from __future__ import annotations


async def _coroutine_template() -> None:
    """Never called: lends its code object (flagged as a coroutine) to the class below."""


class CoroutineFunctionLike:
    """A base whose callable instances ``inspect.iscoroutinefunction`` reports as coroutine
    functions. Not ``__qualname__``: in a class body that would rename the class itself."""

    __slots__ = ()
    __code__ = _coroutine_template.__code__
    __name__ = "complete"
    __defaults__ = None
    __kwdefaults__ = None
    __annotations__ = _coroutine_template.__annotations__


#: ``FastlogSink.encoding``: the encoding loguru's own file sink declares (``FileSink``'s
#: default), which loguru's traceback formatter reads from any object sink.
SINK_ENCODING = "utf8"
