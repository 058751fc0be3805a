"""The floors benchmarks/scan_path.py compares the scan path with, as one FastAPI app.

    uvicorn --factory benchmarks.scan_baseline:app   (scan_path.py starts it; see its docstring)

Environment: BENCH_DATABASE_URL (the same database as the app under test), BENCH_HTML_FILE (the
viewer page our app rendered, served as is), BENCH_MEDIA_FILE (the video behind /media).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse, HTMLResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from vertex_ar.companies.models import Company
from vertex_ar.content.models import ARContent

ANSWER: dict[str, Any] = {
    "unique_id": "warm-content",
    "title": "Benchmark print",
    "video_id": 1,
    "url": "/media?t=" + "x" * 160,
    "mime": "video/mp4",
    "width": 1280,
    "height": 720,
    "duration": 10.0,
    "poster": None,
    "marker_url": "/media?t=" + "y" * 160,
    "target_width": 1200,
    "target_height": 800,
    "urls_expire_at": "2026-12-01T18:00:00Z",
}


def app() -> FastAPI:
    engine = create_async_engine(os.environ["BENCH_DATABASE_URL"])
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    html = Path(os.environ["BENCH_HTML_FILE"]).read_bytes()
    media_file = Path(os.environ["BENCH_MEDIA_FILE"])

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    floor = FastAPI(lifespan=lifespan)

    @floor.get("/bare/active-video/{unique_id}")
    async def bare_active_video(unique_id: str) -> dict[str, Any]:
        return ANSWER

    @floor.get("/one-query/{unique_id}/active-video")
    async def one_query_active_video(unique_id: str) -> dict[str, Any]:
        """The viewer's content read (unique index, joined company) and nothing else."""
        stmt = (
            select(ARContent.id, ARContent.title, ARContent.marker_key, Company.timezone)
            .join(Company, Company.id == ARContent.company_id)
            .where(ARContent.unique_id == unique_id)
        )
        async with sessions() as session:
            row = (await session.execute(stmt)).one_or_none()
        if row is None:
            raise HTTPException(404)
        return {**ANSWER, "unique_id": unique_id, "title": row.title}

    @floor.get("/bare/page")
    async def bare_page() -> HTMLResponse:
        return HTMLResponse(html)

    @floor.get("/file")
    async def file() -> FileResponse:
        return FileResponse(media_file, media_type="video/mp4")

    return floor
