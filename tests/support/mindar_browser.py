"""Run the real MindAR 1.2.5 viewer (three.js build from our node_modules) in headless Chromium
on a fake camera feed, and report whether and where it found the target.

    with MindARHarness() as harness:
        corners = write_feed(feed, target_rgb, Pose(scale=0.7))
        result = harness.track(mind_bytes, feed, corners)
        assert result.found and result.corner_error_px < 3

The page (``viewer_page.html``) uses ``MindARThree`` exactly as a viewer does; Python reads the
anchor's matrix and MindAR's projection matrix and projects the target corners into video-frame
pixels itself, so the comparison with the true corners needs no browser-side maths.
"""

from __future__ import annotations

import contextlib
import http.server
import itertools
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

import numpy as np
import numpy.typing as npt
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Playwright, sync_playwright

REPO = Path(__file__).resolve().parents[2]
NODE_MODULES = REPO / "node_modules"
PAGE = Path(__file__).with_name("viewer_page.html")
CHROMIUM = "/usr/bin/chromium"

# The network is closed: without these Chromium stalls on background services.
CLOSED_NETWORK_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# WebGL (for the tfjs backend MindAR uses) through the SwiftShader software rasteriser.
FAKE_CAMERA_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
]


@dataclass
class TrackingResult:
    """What the viewer did with one feed.

    ``ms_to_detection``: from the moment MindAR starts processing video to ``onTargetFound``
    (MindAR only reports a target after 5 consecutive tracked frames). ``startup_ms``: page load
    to processing start (tfjs + WebGL warm-up). ``corners``: median over the sampled poses of the
    projected target corners, shape (4, 2), order TL, TR, BR, BL, video-frame pixels.
    ``corner_error_px``: mean distance of those corners to the true ones.
    ``frames_to_match``: frames the viewer's detection loop processed up to and including its
    first match (load-independent, unlike ``ms_to_detection``). ``file_load_ms``: fetching the
    ``.mind`` and decoding it with MindAR's own decoder.
    """

    found: bool
    ms_to_detection: float | None
    startup_ms: float | None
    corners: npt.NDArray[np.float64] | None
    corner_error_px: float | None
    samples: int
    lost_count: int
    frames_to_match: int | None = None
    file_load_ms: float | None = None
    error: str | None = None
    console: list[str] = field(default_factory=list)


def project_corners(
    anchor_matrix: npt.ArrayLike,
    projection: npt.ArrayLike,
    marker_size: tuple[float, float],
    video_size: tuple[int, int],
) -> npt.NDArray[np.float64]:
    """Project the target corners with MindAR's pose into video-frame pixels, shape (4, 2).

    ``anchor_matrix`` and ``projection`` are three.js column-major 16-element matrices: the
    anchor group's matrix (world matrix x MindAR's post-matrix) and the controller's OpenGL
    projection. MindAR's post-matrix puts the anchor origin at the target centre with one unit
    = the target width and y up, so corner (x, y) of a w x h target (y down, pixels) sits at
    anchor-local ((x - w/2) / w, (h/2 - y) / w, 0).
    """
    width, height = marker_size
    model = np.asarray(anchor_matrix, dtype=np.float64).reshape(4, 4).T
    proj = np.asarray(projection, dtype=np.float64).reshape(4, 4).T
    marker_xy = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float64)
    local = np.column_stack(
        [
            (marker_xy[:, 0] - width / 2) / width,
            (height / 2 - marker_xy[:, 1]) / width,
            np.zeros(4),
            np.ones(4),
        ]
    )
    clip = local @ (proj @ model).T
    ndc = clip[:, :2] / clip[:, 3:4]
    video_w, video_h = video_size
    return np.column_stack([(ndc[:, 0] + 1) / 2 * video_w, (1 - ndc[:, 1]) / 2 * video_h])


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the harness page, our node_modules and the .mind files registered for this run."""

    server: _Server

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, directory=str(NODE_MODULES), **kwargs)

    def do_GET(self) -> None:
        path = unquote(urlsplit(self.path).path)
        if path == "/":
            self._send(PAGE.read_bytes(), "text/html; charset=utf-8")
        elif path.startswith("/targets/") and path in self.server.targets:
            self._send(self.server.targets[path], "application/octet-stream")
        elif path.startswith("/node_modules/"):
            self.path = self.path.removeprefix("/node_modules")
            super().do_GET()
        else:
            self.send_error(404)

    def _send(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the harness reports what matters."""


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    targets: dict[str, bytes]


class MindARHarness:
    """A loopback HTTP server and Playwright, shared by many :meth:`track` calls.

    Each feed needs its own Chromium process (the fake-camera file is a launch flag).
    ``startup_timeout_s`` bounds page load + tfjs/WebGL warm-up (slow on a loaded machine);
    ``timeout_s`` bounds detection + ``settle`` + ``samples`` tracked poses once MindAR processes
    video; the first ``settle`` poses after detection are not sampled (the one-euro filter is still
    catching up with the tracker there, so they measure lag, not placement).
    """

    def __init__(
        self,
        *,
        timeout_s: float = 60.0,
        startup_timeout_s: float = 120.0,
        samples: int = 10,
        settle: int = 10,
    ) -> None:
        self.timeout_s = timeout_s
        self.startup_timeout_s = startup_timeout_s
        self.samples = samples
        self.settle = settle
        self._ids = itertools.count()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.targets = {}
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._playwright: Playwright | None = None

    def __enter__(self) -> MindARHarness:
        if not (NODE_MODULES / "mind-ar" / "dist").is_dir():
            raise RuntimeError("node_modules/mind-ar is missing; run `make assets`")
        self._thread.start()
        self._playwright = sync_playwright().start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._playwright is not None:
            self._playwright.stop()
        self._server.shutdown()
        self._server.server_close()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def track(
        self,
        mind: bytes,
        feed: Path,
        true_corners: npt.ArrayLike | None = None,
        *,
        timeout_s: float | None = None,
    ) -> TrackingResult:
        """Open the viewer on ``feed`` (Y4M) with target 0 of ``mind``; wait for detection.

        Waits for the viewer to start, then until ``samples`` settled poses were reported after
        ``onTargetFound`` or ``timeout_s`` (default the harness's) passed. ``true_corners``
        (4, 2) gives :attr:`TrackingResult.corner_error_px`.
        """
        limit_s = self.timeout_s if timeout_s is None else timeout_s
        assert self._playwright is not None, "use MindARHarness as a context manager"
        target_url = f"/targets/{next(self._ids)}.mind"
        self._server.targets[target_url] = mind
        console: list[str] = []
        browser = self._playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                *CLOSED_NETWORK_ARGS,
                *FAKE_CAMERA_ARGS,
                f"--use-file-for-fake-video-capture={feed.resolve()}",
            ],
        )
        try:
            page = browser.new_page(viewport={"width": 640, "height": 480})
            page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
            page.on("pageerror", lambda err: console.append(f"pageerror: {err}"))
            page.goto(
                f"{self.base_url}/?mind={target_url}&samples={self.samples}&settle={self.settle}",
                wait_until="commit",
            )
            # Timeouts are outcomes (not started / not found), read from the state below.
            with contextlib.suppress(PlaywrightError):
                page.wait_for_function(
                    "() => window.harness && window.harness.phase !== 'loading'",
                    timeout=self.startup_timeout_s * 1000,
                    polling=200,
                )
                page.wait_for_function(
                    "() => window.harness.phase === 'error'"
                    f" || window.harness.poses.length >= {self.samples}",
                    timeout=limit_s * 1000,
                    polling=100,
                )
            state: dict[str, Any] = page.evaluate("() => window.harness || null") or {}
        finally:
            browser.close()
            del self._server.targets[target_url]
        return _result(state, true_corners, console)


def _result(
    state: dict[str, Any], true_corners: npt.ArrayLike | None, console: list[str]
) -> TrackingResult:
    error = state.get("error") if state else "harness page did not load"
    if error is None and state.get("phase") != "running":
        error = f"viewer did not start within the time limit (phase {state.get('phase')})"
    found_ms, started_ms = state.get("foundMs"), state.get("startedMs")
    poses: list[list[float]] = state.get("poses", [])
    corners = None
    corner_error = None
    if poses:
        marker = (float(state["marker"][0]), float(state["marker"][1]))
        video = (int(state["video"][0]), int(state["video"][1]))
        per_pose = np.stack([project_corners(m, state["projection"], marker, video) for m in poses])
        corners = np.median(per_pose, axis=0)
        if true_corners is not None:
            truth = np.asarray(true_corners, dtype=np.float64)
            corner_error = float(np.linalg.norm(corners - truth, axis=1).mean())
    return TrackingResult(
        found=found_ms is not None,
        ms_to_detection=(
            found_ms - started_ms if found_ms is not None and started_ms is not None else None
        ),
        startup_ms=(started_ms - state["loadMs"] if started_ms is not None else None),
        corners=corners,
        corner_error_px=corner_error,
        samples=len(poses),
        lost_count=int(state.get("lostCount", 0)),
        frames_to_match=state.get("framesToMatch"),
        file_load_ms=state.get("fileLoadMs"),
        error=error,
        console=console,
    )
