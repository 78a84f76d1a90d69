"""The `boq.submitted` payload (DESIGN §4): a priced bill of quantities (工程量清单).

Bounded like every payload: at most MAX_BOQ_ITEMS items, codes of at most
MAX_BOQ_CODE_CHARS, numbers finite and not negative. Re-exported by witness/events.py.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from witness.payload_base import Id, Payload

#: Largest bill of quantities accepted, in items. A large building's bill has ~5,000
#: items; 50,000 at ~150 bytes each still fits the event size limit.
MAX_BOQ_ITEMS = 50_000
#: Largest item code (12-digit 项目编码, supplementary codes such as 01B001, or a
#: platform's own longer key).
MAX_BOQ_CODE_CHARS = 64


class BoqSoftware(Payload):
    """The pricing software that wrote the bill (计价软件) and its licence fingerprints."""

    name: str | None = None
    version: str | None = None
    lock_id: str | None = None  # 加密锁号
    machine_code: str | None = None


class BoqComponents(Payload):
    """The 综合单价 build-up (综合单价分析): what one unit of the item costs, by kind."""

    labour: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    material: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    machine: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    management: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    profit: float | None = Field(default=None, ge=0, allow_inf_nan=False)


class BoqItem(Payload):
    """One priced line: 项目编码, 项目名称, 计量单位, 工程量, 综合单价, 合价."""

    code: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_BOQ_CODE_CHARS)
    ]
    name: str | None = None
    unit: str | None = Field(default=None, max_length=32)
    quantity: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    unit_price: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    total: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    fixed: bool = False  # 暂估价 / 暂列金额 / 安全文明施工费: set by the tender, copied by all
    components: BoqComponents | None = None


class BoqSubmitted(Payload):
    """A priced bill of quantities (工程量清单); bidder_id 'tender' is the control bill."""

    bidder_id: Id
    doc_id: Id
    software: BoqSoftware | None = None
    items: list[BoqItem] = Field(default_factory=list, max_length=MAX_BOQ_ITEMS)
