"""Form posts to the API's own schemas: the same validation, with messages a person can read
next to the field that caused them."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from vertex_ar.core.errors import AppError, InvalidInput

M = TypeVar("M", bound=BaseModel)


def validate(schema: type[M], data: dict[str, Any]) -> M:
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        details = [
            {
                "field": ".".join(str(part) for part in error["loc"]),
                "message": str(error["msg"]).removeprefix("Value error, "),
            }
            for error in exc.errors()
        ]
        message = "; ".join(f"{d['field']}: {d['message']}" if d["field"] else d["message"]
                            for d in details)  # fmt: skip
        raise InvalidInput(message, details=details) from exc


def field_of(exc: AppError) -> str | None:
    """The form field an API error names, when it names one."""
    details = exc.details
    if isinstance(details, dict) and isinstance(details.get("field"), str):
        return str(details["field"])
    if isinstance(details, list) and details and isinstance(details[0], dict):
        return str(details[0].get("field") or "") or None
    return None


def field_message(exc: AppError) -> str:
    """What to show next to the field an error names: that field's own message when the error
    lists one (a 422 from the API's schemas), else the error's message."""
    details = exc.details
    if isinstance(details, list) and details and isinstance(details[0], dict):
        message = details[0].get("message")
        if isinstance(message, str) and message:
            return message.removeprefix("Value error, ")
    return exc.message


def text(form: FormData, name: str) -> str | None:
    """A text field, stripped; None when empty (the API's "not given")."""
    value = form.get(name)
    if not isinstance(value, str):
        return None
    return value.strip() or None


def checked(form: FormData, name: str) -> bool:
    return form.get(name) == "on"


def end_of_day(value: str | None) -> str | None:
    """A date input's value as the end of that day (UTC); other values pass through."""
    if value and len(value) == 10:
        return f"{value}T23:59:59Z"
    return value
