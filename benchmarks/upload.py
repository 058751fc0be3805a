"""Uploads as `vertex-ar serve` runs them (SQLite, embedded worker): a 1 GB video and a 12 MP photo.

    .venv/bin/python -m benchmarks.upload [--video-mb 1024] [--runs 3]

- 1 GB video: `POST /api/ar-content` with a small portrait and a 1 GiB MP4 (a real clip followed
  by a `free` box, so that every byte is read, spooled and stored like a film's); the web
  process's peak RSS growth (VmHWM after clearing it, minus VmRSS before) and the upload's
  throughput against `cp` of the same file to the same disk, in the same run.
- 12 MP photo: the time from the start of the upload of a 4000×3000 JPEG portrait (with a short
  clip) to `marker_status == "ready"`, compiled by the embedded worker.

Goals (issue 15): RSS growth < 64 MB, throughput ≥ 50 % of cp, photo → ready ≤ 5 s. Medians of
``--runs``; the machine is shared, so the ratio within one run is what counts.
"""

from __future__ import annotations

import argparse
import io
import os
import secrets
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import av
import httpx
import numpy as np
from benchmarks.scan_path import free_port
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
EMAIL, PASSWORD = "bench@example.com", "bench-password-1"
CHUNK = 1024 * 1024


def clip(path: Path, seconds: float = 1.0) -> None:
    """A short H.264 MP4 with its index first (the `free` box goes after it)."""
    with av.open(str(path), "w", options={"movflags": "faststart"}) as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        for n in range(int(25 * seconds)):
            pixels = np.full((240, 320, 3), (n * 9) % 255, dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def big_video(path: Path, size: int) -> None:
    clip(path)
    padding = size - path.stat().st_size - 8
    with path.open("ab") as out:
        out.write(struct.pack(">I4s", padding + 8, b"free"))
        block = secrets.token_bytes(CHUNK)
        while padding > 0:
            out.write(block[: min(CHUNK, padding)])
            padding -= CHUNK


def photo_12mp() -> bytes:
    """4000×3000 with texture a tracker can find (random blobs at several scales)."""
    rng = np.random.default_rng(7)
    image = np.zeros((3000, 4000), dtype=np.float32)
    for cells in (40, 150, 600):
        noise = rng.random((cells * 3 // 4, cells), dtype=np.float32)
        image += np.asarray(Image.fromarray(noise).resize((4000, 3000), Image.BICUBIC))
    image = (255 * (image - image.min()) / (image.max() - image.min())).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(image).convert("RGB").save(out, format="JPEG", quality=90)
    return out.getvalue()


def rss_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for {pid}")


class Serve:
    """`vertex-ar serve` (uvicorn in this process, the embedded worker as its child)."""

    def __init__(self, data: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.env = {**os.environ, **env}
        cli = [sys.executable, "-m", "vertex_ar.cli"]
        subprocess.run([*cli, "db", "upgrade"], env=self.env, cwd=data, check=True)
        subprocess.run([*cli, "admin", "create", "--email", EMAIL, "--password", PASSWORD],
                       env=self.env, cwd=data, check=True)  # fmt: skip
        self.log = (data / "serve.log").open("wb")
        self.process = subprocess.Popen(
            [*cli, "serve", "--port", str(self.port)],
            env=self.env, cwd=data, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=600)
        deadline = time.monotonic() + 300
        while True:  # the web process answers and the embedded worker has beaten
            try:
                health = self.http.get("/api/health/status").json()
                if health["checks"]["worker"]["ok"]:
                    break
            except (httpx.TransportError, ValueError, KeyError):
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((data / "serve.log").read_text(errors="replace")[-3000:])
            time.sleep(0.5)

    def stop(self) -> None:
        self.http.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def tenant(http: httpx.Client) -> tuple[dict[str, str], int]:
    """(headers of a company admin, their project's id)."""

    def token(email: str, password: str) -> dict[str, str]:
        answer = http.post("/api/auth/login", json={"email": email, "password": password})
        answer.raise_for_status()
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    root = token(EMAIL, PASSWORD)
    company = http.post("/api/companies", json={"name": "Bench"}, headers=root).json()
    http.post("/api/users", headers=root, json={
        "email": "admin@bench.example.com", "password": PASSWORD, "role": "company_admin",
        "company_id": company["id"]}).raise_for_status()  # fmt: skip
    admin = token("admin@bench.example.com", PASSWORD)
    project = http.post("/api/projects", json={"name": "P"}, headers=admin)
    project.raise_for_status()
    return admin, project.json()["id"]


def upload(
    http: httpx.Client, headers: dict[str, str], project: int, portrait: tuple[str, Any, str],
    video: Path,
) -> dict[str, Any]:  # fmt: skip
    with video.open("rb") as film:
        answer = http.post(
            "/api/ar-content",
            headers=headers,
            data={"project_id": str(project), "title": "Bench"},
            files=[("portrait", portrait), ("video", ("film.mp4", film, "video/mp4"))],
        )
    if answer.status_code != 201:
        raise RuntimeError(f"upload refused: {answer.status_code} {answer.text[:500]}")
    body: dict[str, Any] = answer.json()
    return body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video-mb", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-upload-") as tmp:
        data = Path(tmp)
        film, small = data / "film.mp4", data / "small.mp4"
        big_video(film, args.video_mb * 1024 * 1024)
        clip(small)
        photo = photo_12mp()
        png = io.BytesIO()
        Image.fromarray(np.asarray(Image.open(io.BytesIO(photo)).resize((800, 600)))).save(
            png, format="PNG"
        )
        env = {
            "ENV": "development",
            "DATA_DIR": str(data / "data"),
            "STORAGE_ROOT": str(data / "data" / "storage"),
            "DATABASE_URL": f"sqlite+aiosqlite:///{data / 'data' / 'vertex_ar.db'}",
            "MAX_VIDEO_BYTES": str(4 * 1024**3),
            "NODE_MODULES_DIR": str(ROOT / "node_modules"),
            "WORKER_HEARTBEAT_SECONDS": "1",
        }
        (data / "data").mkdir()
        server = Serve(data, env)
        try:
            web = server.process.pid
            headers, project = tenant(server.http)
            seconds, copies, growth = [], [], []
            for _ in range(args.runs):
                target = data / "cp-copy.mp4"
                started = time.perf_counter()
                shutil.copyfile(film, target)  # what `cp` does: read and write every byte
                copies.append(time.perf_counter() - started)
                target.unlink()
                before = rss_kb(web, "VmRSS")
                Path(f"/proc/{web}/clear_refs").write_text("5")  # VmHWM := VmRSS
                started = time.perf_counter()
                upload(server.http, headers, project, ("p.png", png.getvalue(), "image/png"), film)
                seconds.append(time.perf_counter() - started)
                growth.append((rss_kb(web, "VmHWM") - before) / 1024)
            ready = []
            for _ in range(args.runs):
                started = time.perf_counter()
                content = upload(server.http, headers, project,
                                 ("photo.jpg", photo, "image/jpeg"), small)  # fmt: skip
                uploaded = time.perf_counter() - started
                while content["marker_status"] not in ("ready", "failed"):
                    time.sleep(0.05)
                    content = server.http.get(
                        f"/api/ar-content/{content['id']}", headers=headers
                    ).json()
                ready.append((uploaded, time.perf_counter() - started, content["marker_status"]))
        finally:
            server.stop()
    size_mb = args.video_mb * 1.048576
    upload_s, cp_s = statistics.median(seconds), statistics.median(copies)
    print(f"load average (1 min): {os.getloadavg()[0]:.1f}; medians of {args.runs} runs\n")
    print("| measure | ours | baseline | ratio / goal |")
    print("|---|---:|---:|---|")
    print(
        f"| {args.video_mb} MiB video upload | {size_mb / upload_s:,.0f} MB/s ({upload_s:.1f} s) "
        f"| cp {size_mb / cp_s:,.0f} MB/s ({cp_s:.1f} s) | {cp_s / upload_s:.0%} (≥ 50 %) |"
    )
    print(f"| web process peak RSS growth | {statistics.median(growth):.0f} MB "
          f"(max {max(growth):.0f}) | | < 64 MB |")  # fmt: skip
    statuses = {status for *_, status in ready}
    print(
        f"| 12 MP photo: upload → marker {'/'.join(sorted(statuses))} "
        f"| {statistics.median(t for _, t, _ in ready):.1f} s "
        f"(upload {statistics.median(u for u, _, _ in ready):.1f} s) | | ≤ 5 s |"
    )


if __name__ == "__main__":
    main()
