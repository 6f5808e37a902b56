"""Typed SQLAlchemy 2 models of the replica. Importing this registers every table."""

from models.replica.orm.base import Base, new_uuid
from models.replica.orm.intake import IntakeNotice
from models.replica.orm.messages import SpocMessage
from models.replica.orm.monitoring import AlertEvent, AlertRule, DataQualityFinding, QuarantinedRecord, RoomAlertRule
from models.replica.orm.observations import Observation
from models.replica.orm.phoned_in import PhonedInCall
from models.replica.orm.records import (
    Action,
    Contact,
    DecisionEntry,
    OnCallShift,
    OpelChecklistItem,
    Transfer,
    TransferEvent,
)
from models.replica.orm.reference import Metric, Organisation, Site
from models.replica.orm.status import (
    AmbulanceStatus,
    CritconStatus,
    HandoverEvent,
    OpelAssessment,
    OpelParameterScore,
    ResponseTimes,
)
from models.replica.orm.sync_state import FeedCursor, OutboxItem, ReplicaMeta
from models.replica.orm.types import UTCDateTime, utcnow

__all__ = [
    "Action", "AlertEvent", "AlertRule", "AmbulanceStatus", "Base", "Contact", "CritconStatus",
    "DataQualityFinding", "DecisionEntry", "FeedCursor", "HandoverEvent", "IntakeNotice", "Metric", "Observation",
    "OnCallShift", "OpelAssessment", "OpelChecklistItem", "OpelParameterScore", "Organisation", "OutboxItem",
    "PhonedInCall", "QuarantinedRecord", "ReplicaMeta", "ResponseTimes", "RoomAlertRule", "Site", "SpocMessage",
    "Transfer",
    "TransferEvent", "UTCDateTime",
    "new_uuid", "utcnow",
]
