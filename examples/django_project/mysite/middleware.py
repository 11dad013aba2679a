"""Request ids in fastlog's context: every record of a request carries ``request_id``."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from django.core.signals import request_finished
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

import fastlog_core

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")  # a client's id is kept only if it looks like one


def request_id_middleware(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Bind ``request_id`` in fastlog's context for the request, until ``request_finished``.

    Listed first in ``MIDDLEWARE``. Binding (rather than ``with fastlog_core.context(...)``
    around ``get_response``) keeps the id past this middleware: Django logs "Not Found" after
    the middleware chain has returned, and runserver logs its access line just before it
    sends ``request_finished``, so those records carry the id too.
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        request_id = request.headers.get(REQUEST_ID_HEADER, "")
        if not _SANE_ID.fullmatch(request_id):
            request_id = uuid.uuid4().hex
        fastlog_core.bind_context(request_id=request_id)
        response = get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response

    return middleware


@receiver(request_finished)
def unbind_request_id(sender: Any, **kwargs: Any) -> None:
    """The request is over (its response closed): later records are not the request's."""
    fastlog_core.unbind_context("request_id")
