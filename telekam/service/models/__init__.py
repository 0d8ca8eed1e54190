"""The one-stop service desk: requests, provisioning orders and their SLA, compensation,
faults and outages, delivery, callbacks, satisfaction surveys."""

from telekam.service.models.aftercare import (
    Callback,
    CallbackItem,
    CallbackOutcome,
    CallbackReason,
    CallbackStatus,
    DeliveryStatus,
    DeliveryTask,
    FollowUp,
    FollowUpStatus,
)
from telekam.service.models.faults import FaultPause, FaultStatus, FaultTicket, Outage
from telekam.service.models.orders import (
    CompensationForm,
    CompensationStatus,
    OrderStatus,
    ProvisioningOrder,
    ResponsibleSegment,
)
from telekam.service.models.policy import FaultPolicy, ProvisioningPolicy, SlaClass
from telekam.service.models.requests import (
    OPEN_STATUSES,
    RequestChannel,
    RequestEvent,
    RequestKind,
    RequestStatus,
    ServiceRequest,
)
from telekam.service.models.surveys import SurveyImport, SurveyRating, SurveyResponse

__all__ = [
    "OPEN_STATUSES",
    "Callback",
    "CallbackItem",
    "CallbackOutcome",
    "CallbackReason",
    "CallbackStatus",
    "CompensationForm",
    "CompensationStatus",
    "DeliveryStatus",
    "DeliveryTask",
    "FaultPause",
    "FaultPolicy",
    "FaultStatus",
    "FaultTicket",
    "FollowUp",
    "FollowUpStatus",
    "OrderStatus",
    "Outage",
    "ProvisioningOrder",
    "ProvisioningPolicy",
    "RequestChannel",
    "RequestEvent",
    "RequestKind",
    "RequestStatus",
    "ResponsibleSegment",
    "ServiceRequest",
    "SlaClass",
    "SurveyImport",
    "SurveyRating",
    "SurveyResponse",
]
