"""Intuit-shaped faults and JSON responses."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

from flask import Response

from .clock import qbo_time_field


class QBOFault(Exception):
    """A fault the accounting API answers with, in Intuit's `Fault.Error[]` shape."""

    def __init__(
        self,
        code: str,
        message: str,
        detail: str = "",
        element: str = "",
        status: int = 400,
        fault_type: str = "ValidationFault",
    ):
        super().__init__(f"{code} {message}: {detail}")
        self.code = str(code)
        self.message = message
        self.detail = detail
        self.element = element
        self.status = status
        self.fault_type = fault_type

    def body(self) -> dict:
        return {
            "Fault": {
                "Error": [
                    {
                        "Message": self.message,
                        "Detail": self.detail,
                        "code": self.code,
                        "element": self.element,
                    }
                ],
                "type": self.fault_type,
            }
        }


def not_found(entity: str, entity_id: str, inactive: bool = False) -> QBOFault:
    if inactive:
        detail = (
            "Object Not Found : Something you're trying to use has been made inactive. "
            "Check the fields with accounts, customers, items, vendors or employees."
        )
    else:
        detail = (
            f"Object Not Found : Another user has deleted this transaction. ({entity} {entity_id})"
        )
    return QBOFault("610", "Object Not Found", detail)


def required(element: str) -> QBOFault:
    return QBOFault(
        "2020",
        "Required param missing, need to supply the required value for the API",
        f"Required parameter {element} is missing in the request",
        element=element,
    )


def stale(entity: str) -> QBOFault:
    return QBOFault(
        "5010",
        "Stale Object Error",
        "Stale Object Error : You and Emulator User were working on this at the same time. "
        "Emulator User finished before you did, so your work was not saved.",
    )


def business(text: str, element: str = "") -> QBOFault:
    return QBOFault(
        "6000",
        "A business validation error has occurred while processing your request",
        f"Business Validation Error: {text}",
        element=element,
    )


def duplicate_name() -> QBOFault:
    return QBOFault(
        "6240",
        "Duplicate Name Exists Error",
        "The name supplied already exists. : Another customer, vendor or employee is already "
        "using this name. Please use a different name.",
    )


def deposited() -> QBOFault:
    return QBOFault(
        "6540",
        "Deposited Transaction cannot be changed",
        "This transaction has been deposited. If you want to change or delete it, "
        "you must edit the deposit it appears on and remove it first.",
    )


def unsupported(detail: str) -> QBOFault:
    return QBOFault("500", "Unsupported Operation", detail)


# What a JSON body of the wrong shape (a string where an object belongs, ...) raises inside the entity code.
MALFORMED_BODY_ERRORS = (TypeError, AttributeError, ValueError, KeyError)


def malformed() -> QBOFault:
    """A 400 for a body whose fields have the wrong JSON types, instead of a crash."""
    return unsupported(
        "Request has invalid or unsupported property: a field has the wrong type or shape"
    )


def auth_failed(detail: str) -> QBOFault:
    return QBOFault(
        "3200",
        "message=AuthenticationFailed; errorCode=003200; statusCode=401",
        detail,
        status=401,
        fault_type="AUTHENTICATION",
    )


def throttled(detail: str = "The request limit was reached.") -> QBOFault:
    return QBOFault(
        "3001",
        "message=ThrottleExceeded; errorCode=003001; statusCode=429",
        detail,
        status=429,
        fault_type="ThrottleExceeded",
    )


def system_error(status: int = 500) -> QBOFault:
    if status == 503:
        return QBOFault(
            "10000",
            "Service Unavailable",
            "The service is temporarily unavailable. Please try again later.",
            status=503,
            fault_type="SystemFault",
        )
    return QBOFault(
        "10000",
        "An application error has occurred while processing your request",
        "System Failure Error: An unexpected error occurred while accessing or saving your data.",
        status=500,
        fault_type="SystemFault",
    )


def _default(value):
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(data) -> str:
    return json.dumps(data, default=_default, separators=(", ", ": "))


def json_response(data: dict, now, status: int = 200) -> Response:
    """Return a JSON response with Intuit's `time` field added."""
    payload = dict(data)
    payload["time"] = qbo_time_field(now)
    return Response(dumps(payload), status=status, mimetype="application/json")


def fault_response(fault: QBOFault, now) -> Response:
    return json_response(fault.body(), now, status=fault.status)


def new_tid() -> str:
    return f"1-{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:24]}"
