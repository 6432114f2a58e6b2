"""The closed value sets of the domain (docs/format/entities.md), shared by models and schemas.

The member values are the wire values and the values stored in the database.
"""

from __future__ import annotations

from enum import StrEnum


class SupplierType(StrEnum):
    PHYSICAL = "physical"
    ONLINE = "online"


class YieldMode(StrEnum):
    DISCRETE_COUNT = "discrete_count"
    BATCH_PORTION = "batch_portion"


class YieldType(StrEnum):
    EA = "EA"
    SERVING = "SERVING"


class BaseUnitType(StrEnum):
    EACH = "each"
    LINEAR_CM = "linear_cm"
    SQUARE_CM = "square_cm"


class AssemblyType(StrEnum):
    BARE = "bare"
    BUNDLE = "bundle"


class OutputMode(StrEnum):
    BULK_COUNT = "bulk_count"
    BUNDLED = "bundled"


class PlanState(StrEnum):
    DRAFT = "draft"
    LOCKED = "locked"
    IN_PRODUCTION = "in_production"
    COMPLETED = "completed"


class FulfillmentStatus(StrEnum):
    PENDING = "pending"
    READY = "ready"
    DELIVERED = "delivered"


class ProductionStatus(StrEnum):
    COMPLETE = "complete"
    PARTIAL_LOSS = "partial_loss"
    TOTAL_LOSS = "total_loss"


class LossCategory(StrEnum):
    BURNT = "burnt"
    BROKEN = "broken"
    CONTAMINATED = "contaminated"
    DROPPED = "dropped"
    WRONG_INGREDIENTS = "wrong_ingredients"
    OTHER = "other"


class DepletionReason(StrEnum):
    PRODUCTION = "production"
    ASSEMBLY = "assembly"
    SPOILAGE = "spoilage"
    GIFT = "gift"
    CORRECTION = "correction"
    AD_HOC_USAGE = "ad_hoc_usage"
    OTHER = "other"
