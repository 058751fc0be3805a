"""The rotation rule editor: form fields to the API's `RotationRuleIn`, and the 30-day preview
of which video plays on each day (the resolver the viewer uses, in the company's time zone)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from vertex_ar.content.models import ARContent
from vertex_ar.core.errors import InvalidInput
from vertex_ar.rotation.resolver import RotationPlan, resolve_video
from vertex_ar.rotation.schemas import RotationRuleIn

PREVIEW_DAYS = 30
SCHEDULE_ROWS = 3
NO_RULE = "none"


@dataclass(frozen=True)
class CalendarDay:
    day: date
    video_id: int | None
    video_number: int | None  # 1-based position among the content's videos, for labels


def calendar(
    content: ARContent, plan: RotationPlan | None, today: date, days: int = PREVIEW_DAYS
) -> list[CalendarDay]:
    ids = [video.id for video in sorted(content.videos, key=lambda video: video.id)]
    numbers = {video_id: index + 1 for index, video_id in enumerate(ids)}
    result = []
    for offset in range(days):
        day = today + timedelta(days=offset)
        chosen = resolve_video(plan, set(ids), content.id, day)
        result.append(CalendarDay(day, chosen, numbers.get(chosen) if chosen else None))
    return result


def _ids(form: FormData, name: str) -> list[int]:
    return [int(str(value)) for value in form.getlist(name) if str(value).isdigit()]


def rule_from_form(form: FormData) -> RotationRuleIn | None:
    """The rule the form describes (None: no rule, the first video plays)."""
    kind = str(form.get("type") or NO_RULE)
    if kind == NO_RULE:
        return None
    default = str(form.get("default_video_id") or "")
    config: dict[str, Any] = {}
    if kind == "daily_cycle":
        config = {
            "video_sequence": _ids(form, "cycle_video") or None,
            "start_date": form.get("start_date") or None,
        }
    elif kind == "random_daily":
        config = {"video_pool": _ids(form, "pool_video") or None}
    elif kind == "date_specific":
        rows = zip(
            form.getlist("schedule_start"),
            form.getlist("schedule_end"),
            form.getlist("schedule_video"),
            strict=False,
        )
        schedules = [
            {"start_date": start, "end_date": end, "video_id": video}
            for start, end, video in rows
            if start or end
        ]
        config = {"schedules": schedules or None}
    try:
        return RotationRuleIn.model_validate(
            {
                "type": kind,
                "config": {k: v for k, v in config.items() if v is not None},
                "default_video_id": int(default) if default.isdigit() else None,
            }
        )
    except ValidationError as exc:
        messages = "; ".join(_message(error) for error in exc.errors())
        raise InvalidInput(messages) from exc


def _message(error: Any) -> str:
    text = str(error["msg"]).removeprefix("Value error, ")
    where = ".".join(str(part) for part in error["loc"] if part != "config")
    return f"{where}: {text}" if where and error["type"] != "value_error" else text
