"""Domain errors: each says which rule refused a command. Mapped to HTTP in one table."""


class DomainError(Exception):
    """Raised when a command breaks a rule of the case; nothing is recorded."""

    field: str | None = None

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        if field is not None:
            self.field = field


class InvalidValueError(DomainError):
    """Raised when a value is malformed or outside its vocabulary."""


class NotEligibleError(DomainError):
    """Raised when a child does not meet the definition of a left-behind child."""


class FutureDateError(DomainError):
    """Raised when a date that records a fact lies after today."""


class DateBeforeIdentificationError(DomainError):
    """Raised when a visit or intervention is dated before the child was identified."""


class DateBeforeOpeningError(DomainError):
    """Raised when an intervention's progress or closure is dated before it opened."""


class CaseClosedError(DomainError):
    """Raised when anything but reopening is asked of a closed case."""


class CaseNotClosedError(DomainError):
    """Raised when reopening a case that is not closed."""


class UnknownInterventionError(DomainError):
    """Raised when an intervention id names no intervention of the case."""


class InterventionNotOpenError(DomainError):
    """Raised when progressing or closing an intervention that is already closed."""


class UnknownFieldError(DomainError):
    """Raised when a correction names a field the case does not have."""


class NothingToCorrectError(DomainError):
    """Raised when a correction would leave the value as it is."""


class SameJurisdictionError(DomainError):
    """Raised when a transfer names the village the case is already in."""


class FlagNotOpenError(DomainError):
    """Raised when dismissing a likely-duplicate flag the case does not hold open."""


class CaseErasedError(DomainError):
    """Raised when anything is asked of a case whose personal data was erased."""


class ErasureNotRequestedError(DomainError):
    """Raised when approving or declining an erasure nobody asked for, or asking twice."""


class SecondPersonRequiredError(DomainError):
    """Raised when the person who asked for an erasure would also approve it."""


class ReviewNotPendingError(DomainError):
    """Raised when confirming or returning a case with no review awaiting (never asked,
    or this submission reviewed already)."""


class NotReturnedError(DomainError):
    """Raised when resubmitting a case that was not returned for correction."""


class SelfReviewError(DomainError):
    """Raised when whoever submitted a case (or a change) for review tries to review it."""
