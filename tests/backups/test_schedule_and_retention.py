"""Retention (the newest of each of the last N days, ISO weeks, months), applied by every
`backup create`; BACKUP_SCHEDULE as Celery Beat's entry for the same code."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from celery.schedules import crontab
from structlog.testing import capture_logs

from tests.backups.test_backup_cli import _cli, _ok
from vertex_ar.backups.retention import keep
from vertex_ar.backups.schedule import backup_crontab
from vertex_ar.backups.service import BackupError
from vertex_ar.core.settings import Settings, get_settings
from vertex_ar.tasks.config import BACKUP_TASK, create_celery


def _name(when: datetime) -> str:
    return when.strftime("vertex_ar-%Y%m%dT%H%M%SZ")


def test_keeps_seven_days_four_weeks_twelve_months() -> None:
    newest = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # a Tuesday
    # One backup a day for 400 days, and a second one on the newest day.
    backups = [(_name(newest - timedelta(days=d)), newest - timedelta(days=d)) for d in range(400)]
    backups.append((_name(newest + timedelta(hours=5)), newest + timedelta(hours=5)))
    kept = keep(backups, daily=7, weekly=4, monthly=12)

    days = {_name(newest + timedelta(hours=5))} | {
        _name(newest - timedelta(days=d)) for d in range(1, 7)
    }
    # Newest of each ISO week: the newest day, then the Sundays before it.
    sundays = {_name(datetime(2026, 11, d, 3, 0, tzinfo=UTC)) for d in (29, 22, 15)}
    # Newest of each month: the newest, then the last day of each of the 11 months before.
    month_ends = {
        _name(datetime(2026, m, 1, 3, 0, tzinfo=UTC) - timedelta(days=1)) for m in range(2, 13)
    }
    assert kept == days | sundays | month_ends
    assert _name(newest) not in kept  # the older backup of the newest day
    assert len(kept) == 7 + 2 + 10  # Sunday 29 and November 30 are among the seven days


def test_the_newest_is_always_kept_and_nothing_else_is_invented() -> None:
    one = [("a", datetime(2026, 1, 1, tzinfo=UTC))]
    assert keep(one, daily=1, weekly=0, monthly=0) == {"a"}
    assert keep([], daily=7, weekly=4, monthly=12) == set()


def test_create_prunes_old_backups_and_nothing_else(settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "b"
    first = Path(_ok(_cli(settings, "create", "--dir", str(folder)))["path"])
    old_days = [datetime.now(UTC) - timedelta(days=d) for d in (3, 40)]
    for when in old_days:  # older backups: copies with their time rewritten
        name = _name(when.replace(microsecond=0))
        shutil.copytree(first, folder / name)
        manifest = json.loads((folder / name / "manifest.json").read_text())
        manifest.update(name=name, created_at=when.isoformat())
        (folder / name / "manifest.json").write_text(json.dumps(manifest))
    (folder / "notes.txt").write_text("an operator's file")
    (folder / "vertex_ar-elsewhere").mkdir()

    done = _cli(
        settings, "create", "--dir", str(folder),
        BACKUP_KEEP_DAILY="2", BACKUP_KEEP_WEEKLY="0", BACKUP_KEEP_MONTHLY="1",
    )  # fmt: skip
    created = _ok(done)
    # Kept: today's newest (daily 1) and the one 3 days ago (daily 2); the month's newest is
    # today's. Pruned: today's first and the one 40 days ago.
    assert sorted(created["pruned"]) == sorted(
        [first.name, _name(old_days[1].replace(microsecond=0))]
    )
    left = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
    expected = [_name(old_days[0].replace(microsecond=0)), Path(created["path"]).name]
    assert left == sorted([*expected, "notes.txt", "vertex_ar-elsewhere"])
    listed = _ok(_cli(settings, "list", "--dir", str(folder), "--json"))
    assert [b["name"] for b in listed] == sorted(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("daily", crontab(minute="0", hour="3")),
        ("hourly", crontab(minute="0")),
        ("weekly", crontab(minute="0", hour="3", day_of_week="0")),
        ("30 2 * * 1-5", crontab(minute="30", hour="2", day_of_week="1-5")),
        ("off", None),
        ("", None),
    ],
)
def test_backup_schedule(text: str, expected: crontab | None) -> None:
    assert backup_crontab(text) == expected
    app = create_celery(Settings(backup_schedule=text, _env_file=None))  # type: ignore[call-arg]
    entry = app.conf.beat_schedule.get("backup")
    if expected is None:
        assert entry is None
    else:
        assert entry == {"task": BACKUP_TASK, "schedule": expected}


@pytest.mark.parametrize("text", ["twice a day", "61 * * * *", "* * * *"])
def test_a_bad_schedule_is_refused_naming_the_setting(text: str) -> None:
    with pytest.raises(ValueError, match="BACKUP_SCHEDULE"):
        backup_crontab(text)


def test_the_beat_task_runs_the_same_backup_and_reports_a_failure(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vertex_ar.worker import celery_app, create_backup

    assert celery_app.tasks[BACKUP_TASK].name == create_backup.name == BACKUP_TASK
    folder = tmp_path / "scheduled"
    for name, value in {
        "ENV": "test", "DATABASE_URL": settings.database_url, "DATA_DIR": str(settings.data_dir),
        "STORAGE_ROOT": str(settings.storage_root), "BACKUP_DIR": str(folder),
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        path = Path(create_backup.run())
        assert path.parent == folder.resolve()
        assert json.loads((path / "manifest.json").read_text())["name"] == path.name

        monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'gone.db'}")
        get_settings.cache_clear()
        with capture_logs() as logs, pytest.raises(BackupError, match="no SQLite database"):
            create_backup.run()
        failed = [entry for entry in logs if entry["event"] == "backup.failed"]
        assert len(failed) == 1 and "no SQLite database" in failed[0]["error"]
    finally:
        get_settings.cache_clear()
