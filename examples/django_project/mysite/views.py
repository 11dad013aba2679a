"""The project's one view: an order lookup that logs through stdlib ``logging``."""

from __future__ import annotations

import logging

from django.http import Http404, HttpRequest, JsonResponse

log = logging.getLogger("shop.orders")

ORDERS = {1: {"item": "book", "amount": 12.5}, 2: {"item": "pen", "amount": 1.2}}


def order(request: HttpRequest, order_id: int) -> JsonResponse:
    log.info("looking up order", extra={"order_id": order_id})
    if order_id == 0:
        raise RuntimeError("order 0 is corrupt")  # Django logs it, with the request id, as a 500
    found = ORDERS.get(order_id)
    if found is None:
        log.warning("order not found", extra={"order_id": order_id})
        raise Http404("no such order")
    log.info("order found", extra={"order_id": order_id, "amount": found["amount"]})
    return JsonResponse({"order_id": order_id, **found})
