"""List options and opaque page tokens (keyset pagination on the sort column, then id).

As upstream: no pageSize (or 0 or less) means every item in one page; an unknown orderBy
sorts by ID and an unknown sortOrder is ASC; pageSize must fit an int32.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from jukebox_workshop.local.registry_server.errors import BadRequest
from jukebox_workshop.local.registry_server.schemas import INT32, INT64, INTEGER

# orderBy values and the sort they mean (upstream also accepts a lowercase "id").
ORDER_BY = {
    "ID": "ID",
    "id": "ID",
    "CREATE_TIME": "CREATE_TIME",
    "LAST_UPDATE_TIME": "LAST_UPDATE_TIME",
}
SORT_ORDERS = ("ASC", "DESC")
MAX_TOKEN_LENGTH = 1024


@dataclass(frozen=True)
class Cursor:
    """Where the previous page ended: the sort value and id of its last item."""

    value: int
    id: int


@dataclass(frozen=True)
class Page:
    requested_size: int = 0  # echoed in the response's pageSize, as upstream
    order_by: str = "ID"
    sort_order: str = "ASC"
    after: Cursor | None = None

    @property
    def size(self) -> int | None:
        """How many items a page holds; None for all of them."""
        return self.requested_size if self.requested_size > 0 else None

    @property
    def ascending(self) -> bool:
        return self.sort_order == "ASC"

    @classmethod
    def from_query(
        cls,
        page_size: str | None,
        order_by: str | None,
        sort_order: str | None,
        next_page_token: str | None,
    ) -> Page:
        order = ORDER_BY.get(order_by or "", "ID")
        sort = sort_order if sort_order in SORT_ORDERS else "ASC"
        return cls(
            requested_size=parse_page_size(page_size),
            order_by=order,
            sort_order=sort,
            # An empty token means "first page": the client's pager relies on it.
            after=decode_token(next_page_token, order, sort) if next_page_token else None,
        )

    def token_after(self, cursor: Cursor) -> str:
        raw = json.dumps([self.order_by, self.sort_order, cursor.value, cursor.id])
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def parse_page_size(value: str | None) -> int:
    if not value:
        return 0
    if not INTEGER.fullmatch(value) or not INT32[0] <= int(value) <= INT32[1]:
        raise BadRequest(f"invalid pageSize {value!r}: expected a 32-bit integer (0 or less: all)")
    return int(value)


def decode_token(token: str, order_by: str, sort_order: str) -> Cursor:
    invalid = BadRequest(f"invalid nextPageToken {token[:100]!r}")
    if len(token) > MAX_TOKEN_LENGTH:
        raise invalid
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        token_order, token_sort, value, last_id = json.loads(raw)
    except (binascii.Error, ValueError, TypeError):
        raise invalid from None
    numbers = (value, last_id)
    if not all(type(n) is int and INT64[0] <= n <= INT64[1] for n in numbers):
        raise invalid
    if (token_order, token_sort) != (order_by, sort_order):
        raise BadRequest(
            f"nextPageToken was issued for orderBy={token_order} sortOrder={token_sort}; "
            f"this request asks for orderBy={order_by} sortOrder={sort_order}"
        )
    return Cursor(value=value, id=last_id)
