"""The case domain: the Case aggregate, its rules and errors. No I/O, no frameworks."""

from .case import Case
from .errors import (
    CaseClosedError,
    CaseErasedError,
    CaseNotClosedError,
    DateBeforeIdentificationError,
    DateBeforeOpeningError,
    DomainError,
    ErasureNotRequestedError,
    FlagNotOpenError,
    FutureDateError,
    InterventionNotOpenError,
    InvalidValueError,
    NotEligibleError,
    NothingToCorrectError,
    SameJurisdictionError,
    SecondPersonRequiredError,
    UnknownFieldError,
    UnknownInterventionError,
)

__all__ = [
    "Case",
    "CaseClosedError",
    "CaseErasedError",
    "CaseNotClosedError",
    "DateBeforeIdentificationError",
    "DateBeforeOpeningError",
    "DomainError",
    "ErasureNotRequestedError",
    "FlagNotOpenError",
    "FutureDateError",
    "InterventionNotOpenError",
    "InvalidValueError",
    "NotEligibleError",
    "NothingToCorrectError",
    "SameJurisdictionError",
    "SecondPersonRequiredError",
    "UnknownFieldError",
    "UnknownInterventionError",
]
