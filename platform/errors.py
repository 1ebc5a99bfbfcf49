"""Domain errors: one CompoundError family with stable codes that every edge knows how to show."""

from __future__ import annotations


class CompoundError(Exception):
    """Base of every error a user may see; `code` is stable, `message` is for people."""

    code = "ERROR"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationFailed(CompoundError):
    """Input that breaks a rule: a bad domain, an over-long name."""

    code = "INVALID"


class TooLong(ValidationFailed):
    code = "TOO_LONG"


class Required(ValidationFailed):
    code = "REQUIRED"


class Duplicate(CompoundError):
    """A unique value that another record already holds; `existing_id` names that record."""

    code = "DUPLICATE"

    def __init__(self, message: str, *, field: str | None = None, existing_id: str) -> None:
        super().__init__(message, field=field)
        self.existing_id = existing_id


class NotFound(CompoundError):
    code = "NOT_FOUND"


class PermissionDenied(CompoundError):
    code = "PERMISSION_DENIED"


class NotAuthenticated(CompoundError):
    code = "NOT_AUTHENTICATED"


class DatabaseNotReady(CompoundError):
    """The database is unreachable or not migrated to the code's revision."""

    code = "DATABASE_NOT_READY"


class PortInUse(CompoundError):
    """A server (web, SMTP) cannot listen on its address: another process holds the port."""

    code = "PORT_IN_USE"


class ServiceUnavailable(CompoundError):
    """A service Compound depends on (a model endpoint) failed or answered nonsense."""

    code = "SERVICE_UNAVAILABLE"
