"""The case domain: the Case aggregate, its rules and errors. No I/O, no frameworks."""

from .case import Case
from .errors import (
    CaseClosedError,
    CaseNotClosedError,
    DateBeforeIdentificationError,
    DateBeforeOpeningError,
    DomainError,
    FlagNotOpenError,
    FutureDateError,
    InterventionNotOpenError,
    InvalidValueError,
    NotEligibleError,
    NothingToCorrectError,
    NotReturnedError,
    ReviewNotPendingError,
    SameJurisdictionError,
    SelfReviewError,
    UnknownFieldError,
    UnknownInterventionError,
)

__all__ = [
    "Case",
    "CaseClosedError",
    "CaseNotClosedError",
    "DateBeforeIdentificationError",
    "DateBeforeOpeningError",
    "DomainError",
    "FlagNotOpenError",
    "FutureDateError",
    "InterventionNotOpenError",
    "InvalidValueError",
    "NotEligibleError",
    "NotReturnedError",
    "NothingToCorrectError",
    "ReviewNotPendingError",
    "SameJurisdictionError",
    "SelfReviewError",
    "UnknownFieldError",
    "UnknownInterventionError",
]
