"""List options and opaque page tokens (keyset pagination on the sort column, then id)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from .errors import BadRequest
from .schemas import OrderBy, SortOrder

DEFAULT_PAGE_SIZE = 100


@dataclass(frozen=True)
class Cursor:
    """Where the previous page ended: the sort value and id of its last item."""

    value: int
    id: int


@dataclass(frozen=True)
class Page:
    size: int = DEFAULT_PAGE_SIZE
    order_by: OrderBy = OrderBy.ID
    sort_order: SortOrder = SortOrder.ASC
    after: Cursor | None = None

    @classmethod
    def from_query(
        cls,
        page_size: str | None,
        order_by: OrderBy | None,
        sort_order: SortOrder | None,
        next_page_token: str | None,
    ) -> Page:
        order_by = order_by or OrderBy.ID
        sort_order = sort_order or SortOrder.ASC
        return cls(
            size=parse_page_size(page_size),
            order_by=order_by,
            sort_order=sort_order,
            # An empty token means "first page": the client's pager relies on it.
            after=decode_token(next_page_token, order_by, sort_order) if next_page_token else None,
        )

    def token_after(self, cursor: Cursor) -> str:
        raw = json.dumps([self.order_by.value, self.sort_order.value, cursor.value, cursor.id])
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def parse_page_size(value: str | None) -> int:
    if value is None or value == "":
        return DEFAULT_PAGE_SIZE
    if not value.isascii() or not value.isdigit() or len(value) > 9 or int(value) < 1:
        raise BadRequest(f"invalid pageSize {value!r}: expected an integer from 1 to 999999999")
    return int(value)


def decode_token(token: str, order_by: OrderBy, sort_order: SortOrder) -> Cursor:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        token_order, token_sort, value, last_id = json.loads(raw)
    except (binascii.Error, ValueError, TypeError):
        raise BadRequest(f"invalid nextPageToken {token!r}") from None
    if not all(isinstance(number, int) for number in (value, last_id)):
        raise BadRequest(f"invalid nextPageToken {token!r}")
    if (token_order, token_sort) != (order_by.value, sort_order.value):
        raise BadRequest(
            f"nextPageToken was issued for orderBy={token_order} sortOrder={token_sort}; "
            f"this request asks for orderBy={order_by.value} sortOrder={sort_order.value}"
        )
    return Cursor(value=value, id=last_id)
