from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import AliasPath, BaseModel, ConfigDict, Field, model_validator

from vertex_ar.core.schemas import Schema
from vertex_ar.rotation.models import RotationType
from vertex_ar.rotation.resolver import DailyCycle, RotationPlan, Schedule

VideoId = Annotated[int, Field(gt=0)]
MAX_ENTRIES = 366


class ScheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start_date: date
    end_date: date
    video_id: VideoId

    @model_validator(mode="after")
    def _ordered(self) -> ScheduleIn:
        if self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        return self


class RotationConfig(BaseModel):
    """The sections of a rule. ``type`` names the one that must be present; the others may be
    added as well and then apply in the resolution order (e.g. date-specific holidays over a
    daily cycle)."""

    model_config = ConfigDict(extra="forbid")

    schedules: list[ScheduleIn] | None = Field(default=None, min_length=1, max_length=MAX_ENTRIES)
    video_sequence: list[VideoId] | None = Field(default=None, min_length=1, max_length=MAX_ENTRIES)
    start_date: date | None = None
    video_pool: list[VideoId] | None = Field(default=None, min_length=1, max_length=MAX_ENTRIES)

    @model_validator(mode="after")
    def _cycle_complete(self) -> RotationConfig:
        if (self.video_sequence is None) != (self.start_date is None):
            raise ValueError("a daily cycle needs both video_sequence and start_date")
        return self

    def video_ids(self) -> set[int]:
        ids = {s.video_id for s in self.schedules or ()}
        return ids | set(self.video_sequence or ()) | set(self.video_pool or ())

    def to_plan(self, default_video_id: int | None) -> RotationPlan:
        cycle = None
        if self.video_sequence is not None and self.start_date is not None:
            cycle = DailyCycle(tuple(self.video_sequence), self.start_date)
        return RotationPlan(
            schedules=tuple(
                Schedule(s.start_date, s.end_date, s.video_id) for s in self.schedules or ()
            ),
            cycle=cycle,
            pool=tuple(self.video_pool or ()),
            default_video_id=default_video_id,
        )


_REQUIRED_SECTION = {
    RotationType.date_specific: "schedules",
    RotationType.daily_cycle: "video_sequence",
    RotationType.random_daily: "video_pool",
}


class RotationRuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: RotationType
    config: RotationConfig
    default_video_id: VideoId | None = None

    @model_validator(mode="after")
    def _section_of_type(self) -> RotationRuleIn:
        section = _REQUIRED_SECTION[self.type]
        if getattr(self.config, section) is None:
            raise ValueError(f"a {self.type.value} rule needs config.{section}")
        return self

    def video_ids(self) -> set[int]:
        extra = {self.default_video_id} if self.default_video_id is not None else set()
        return self.config.video_ids() | extra


class TodaysVideo(Schema):
    date: date
    timezone: str
    video_id: int | None


def _of_rule(name: str) -> Any:
    return Field(validation_alias=AliasPath("rule", name))


class RotationRuleRead(Schema):
    """A content item's rotation rule and the video it plays today."""

    # Validated from rotation.service.RuleToday: the rule's columns, then today's choice.

    content_id: int = _of_rule("content_id")
    type: RotationType = _of_rule("type")
    config: dict[str, Any] = _of_rule("config")
    default_video_id: int | None = _of_rule("default_video_id")
    today: TodaysVideo
