"""The base every event payload shares, and the bounds the store's columns share.

Kept apart from `witness/events.py` (which re-exports all of it) so payload families in
modules of their own (bill_payloads.py) can build on it without an import cycle.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

#: Largest plain string field (names, addresses); document text has its own limit.
MAX_FIELD_CHARS = 4096
#: Largest id that keys a row, an index or a hash chain in the store: event, project,
#: room and camera ids, registry entities. The store's columns are sized from it
#: (witness/store/models.py); PostgreSQL cannot index much more (a B-tree entry holds at
#: most ~2,700 bytes, and 256 characters are up to 1,024 bytes of UTF-8).
MAX_ID_CHARS = 256
MAX_TEXT_CHARS = 2_000_000

#: An id that keys a row or a chain (see MAX_ID_CHARS).
Id = Annotated[str, Field(min_length=1, max_length=MAX_ID_CHARS)]


class Payload(BaseModel):
    """Base of every payload: extra fields are kept (they are part of the trace)."""

    model_config = ConfigDict(extra="allow", str_max_length=MAX_FIELD_CHARS, frozen=True)
