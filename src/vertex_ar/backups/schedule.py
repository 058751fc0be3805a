"""BACKUP_SCHEDULE as a Celery Beat schedule: `off`, `hourly`, `daily`, `weekly` or five crontab
fields (minute hour day-of-month month day-of-week), in UTC like the rest of Beat."""

from __future__ import annotations

from celery.schedules import crontab

PRESETS = {
    "hourly": "0 * * * *",
    "daily": "0 3 * * *",
    "weekly": "0 3 * * 0",
}
OFF = {"", "off", "none", "never"}


def backup_crontab(text: str) -> crontab | None:
    """The schedule, None when backups are not scheduled; ValueError naming the setting."""
    value = text.strip()
    if value.lower() in OFF:
        return None
    fields = PRESETS.get(value.lower(), value).split()
    if len(fields) != 5:
        raise ValueError(
            f"BACKUP_SCHEDULE={text!r}: expected off, hourly, daily, weekly or five crontab "
            "fields such as '30 2 * * *'"
        )
    minute, hour, day_of_month, month_of_year, day_of_week = fields
    try:
        return crontab(
            minute=minute,
            hour=hour,
            day_of_month=day_of_month,
            month_of_year=month_of_year,
            day_of_week=day_of_week,
        )
    except ValueError as exc:
        raise ValueError(f"BACKUP_SCHEDULE={text!r}: {exc}") from exc
