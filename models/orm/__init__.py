"""Typed SQLAlchemy 2 models of the replica. Importing this registers every table."""

from models.orm.base import Base, new_uuid
from models.orm.monitoring import AlertEvent, AlertRule, DataQualityFinding, QuarantinedRecord
from models.orm.observations import Observation
from models.orm.records import (
    Action,
    Contact,
    DecisionEntry,
    OnCallShift,
    OpelChecklistItem,
    Transfer,
    TransferEvent,
)
from models.orm.reference import Metric, Organisation, Site
from models.orm.status import (
    AmbulanceStatus,
    CritconStatus,
    HandoverEvent,
    OpelAssessment,
    OpelParameterScore,
    ResponseTimes,
)
from models.orm.sync_state import FeedCursor, OutboxItem, ReplicaMeta
from models.orm.types import UTCDateTime, utcnow

__all__ = [
    "Action", "AlertEvent", "AlertRule", "AmbulanceStatus", "Base", "Contact", "CritconStatus",
    "DataQualityFinding", "DecisionEntry", "FeedCursor", "HandoverEvent", "Metric", "Observation",
    "OnCallShift", "OpelAssessment", "OpelChecklistItem", "OpelParameterScore", "Organisation", "OutboxItem",
    "QuarantinedRecord", "ReplicaMeta", "ResponseTimes", "Site", "Transfer", "TransferEvent", "UTCDateTime",
    "new_uuid", "utcnow",
]
