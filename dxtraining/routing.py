"""Ids in URLs and query strings: a number beyond any row's id is "not found", not an overflow (a 500)."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter

ROW_ID_MAX = 2**31 - 1  # PostgreSQL's integer


class RowId(IntegerConverter):
    """<int:…> in URLs: an id beyond what the database's integer holds is simply not found (404), rather than
    an overflow in the database driver (500)."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        kwargs.setdefault("max", ROW_ID_MAX)
        super().__init__(url_map, *args, **kwargs)


def row_id(value: str) -> int:
    """For `request.args.get(name, type=row_id)`: an id a row could have, else ValueError (the argument is
    then ignored, as Flask does with any value its `type` refuses)."""
    number = int(value)
    if not 0 < number <= ROW_ID_MAX:
        raise ValueError(value)
    return number
