from __future__ import annotations

import enum
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from vertex_ar.core.schemas import Schema


class DeviceType(enum.StrEnum):
    mobile = "mobile"
    tablet = "tablet"
    desktop = "desktop"
    other = "other"


class ViewerMode(enum.StrEnum):
    """How the page showed the video: on the print (AR), or in the plain player, and why."""

    ar = "ar"
    fallback_no_webgl = "fallback-no-webgl"
    fallback_insecure = "fallback-insecure"
    fallback_no_camera = "fallback-no-camera"
    fallback_camera_denied = "fallback-camera-denied"
    fallback_camera_busy = "fallback-camera-busy"
    fallback_timeout = "fallback-timeout"  # the AR engine did not start in time
    fallback_webgl_lost = "fallback-webgl-lost"  # the WebGL context was lost mid-session
    fallback_error = "fallback-error"


class ViewSessionIn(BaseModel):
    """One viewer session, as the page reports it (once per visit, on leave or after 30 s)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    device_type: DeviceType
    found: bool = Field(description="whether the camera found the print")
    time_to_detection_ms: float | None = Field(
        default=None,
        ge=0,
        le=3_600_000,
        description="from the AR engine running to the first detection",
    )
    engine_start_ms: float | None = Field(
        default=None,
        ge=0,
        le=3_600_000,
        description="from the Start tap to the AR engine running (camera and tracker)",
    )
    fps: float | None = Field(default=None, ge=0, le=240, description="tracking frames/second")
    duration_seconds: float = Field(ge=0, le=86_400, description="time on the page")
    mode: ViewerMode | None = Field(default=None, description="AR, or which fallback was taken")
    visit_id: str | None = Field(
        default=None,
        min_length=8,
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="the page's random id for this visit: a visit is counted once",
    )

    @model_validator(mode="after")
    def _detection_needs_a_find(self) -> ViewSessionIn:
        if self.time_to_detection_ms is not None and not self.found:
            raise ValueError("time_to_detection_ms given for a session that found nothing")
        return self


class ViewSessionRead(Schema):
    id: int
    company_id: int
    content_id: int
    device_type: str
    found: bool
    time_to_detection_ms: float | None
    engine_start_ms: float | None
    fps: float | None
    duration_seconds: float | None
    mode: str | None
    user_agent: str | None
    created_at: datetime


class DayViews(BaseModel):
    date: date
    views: int


class OverviewRead(BaseModel):
    date_from: date
    date_to: date
    timezone: str = Field(description="days are counted in this zone (the company's)")
    views: int
    views_per_day: list[DayViews]
    unique_content: int = Field(description="content items viewed at least once")
    avg_session_seconds: float | None
    device_split: dict[DeviceType, int]
    avg_fps: float | None
    detection_rate: float | None = Field(description="share of sessions that found the print")
    avg_time_to_detection_ms: float | None


class ContentViews(BaseModel):
    content_id: int
    title: str
    views: int
    detection_rate: float


class ProjectViews(BaseModel):
    project_id: int
    name: str
    views: int
    content_viewed: int
    detection_rate: float


class BreakdownRead(BaseModel):
    date_from: date
    date_to: date
    top_content: list[ContentViews] = Field(description="the most viewed content, most first")
    projects: list[ProjectViews] = Field(description="views per project, most first")


class ContentStartupRead(BaseModel):
    """How fast AR started for one content item's visitors in the period."""

    content_id: int
    engine_starts: int = Field(description="sessions whose AR engine started")
    median_engine_start_ms: float | None = Field(description="Start tap to the engine running")
    detections: int = Field(description="sessions that found the print")
    median_time_to_detection_ms: float | None = Field(
        description="engine running to the first detection"
    )


class StartupRead(BaseModel):
    date_from: date
    date_to: date
    timezone: str
    items: list[ContentStartupRead] = Field(description="content items with a started engine")
