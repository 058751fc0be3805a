"""A fake camera for the real MindAR viewer: a target image rendered into 640×480 frames at a
known pose, written as a Y4M file for Chromium's ``--use-file-for-fake-video-capture``.

The pose is a physical one: the print is a plane seen by a pinhole camera with the same focal
length MindAR assumes (vertical field of view 45°), so perspective tilts look like a hand-held
phone and the true target corners in frame pixels are exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

FRAME_WIDTH = 640
FRAME_HEIGHT = 480
# MindAR's controller uses a vertical field of view of 45°: f = (h / 2) / tan(22.5°).
FOCAL_PX = (FRAME_HEIGHT / 2) / math.tan(math.radians(45) / 2)

Image = npt.NDArray[np.uint8]
Corners = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Pose:
    """Where the print sits in the frame.

    ``scale``: height of the untilted target as a fraction of the frame height.
    ``rotation_deg``: in-plane rotation, clockwise on screen.
    ``tilt_x_deg`` / ``tilt_y_deg``: rotation of the print about its horizontal / vertical axis
    (top edge away from the camera for positive ``tilt_x_deg``; right edge away for positive
    ``tilt_y_deg``).
    ``offset``: shift of the target centre from the frame centre, in pixels (right, down).
    """

    scale: float = 0.8
    rotation_deg: float = 0.0
    tilt_x_deg: float = 0.0
    tilt_y_deg: float = 0.0
    offset: tuple[float, float] = (0.0, 0.0)

    def label(self) -> str:
        parts = [f"s{self.scale:g}"]
        if self.rotation_deg:
            parts.append(f"r{self.rotation_deg:g}")
        if self.tilt_x_deg:
            parts.append(f"tx{self.tilt_x_deg:g}")
        if self.tilt_y_deg:
            parts.append(f"ty{self.tilt_y_deg:g}")
        if self.offset != (0.0, 0.0):
            parts.append(f"o{self.offset[0]:g},{self.offset[1]:g}")
        return "-".join(parts)


@dataclass(frozen=True)
class Look:
    """How the camera sees the scene, applied to the rendered frame before sensor noise.

    ``brightness``: gain on every pixel (0.3: a dim room, contrast and signal both drop);
    ``blur_sigma``: Gaussian defocus in pixels; ``motion_px`` / ``motion_deg``: length and
    direction of a straight motion-blur streak; ``glare``: peak brightness added by a soft
    specular spot over the upper right of the print (saturates at white).
    """

    brightness: float = 1.0
    blur_sigma: float = 0.0
    motion_px: float = 0.0
    motion_deg: float = 0.0
    glare: float = 0.0

    def label(self) -> str:
        parts = []
        if self.brightness != 1.0:
            parts.append(f"dim{self.brightness:g}")
        if self.blur_sigma:
            parts.append(f"blur{self.blur_sigma:g}")
        if self.motion_px:
            parts.append(f"motion{self.motion_px:g}@{self.motion_deg:g}")
        if self.glare:
            parts.append(f"glare{self.glare:g}")
        return "-".join(parts)

    def apply(self, frame: Image, corners: Corners) -> Image:
        """The RGB frame (h, w, 3) as this camera sees it; ``corners`` (4, 2) place the glare."""
        out = frame.astype(np.float32)
        if self.blur_sigma:
            out = cv2.GaussianBlur(out, (0, 0), self.blur_sigma)
        if self.motion_px:
            length = max(1, round(self.motion_px))
            kernel = np.zeros((length, length), np.float32)
            kernel[length // 2, :] = 1.0 / length
            centre = ((length - 1) / 2, (length - 1) / 2)
            rotation = cv2.getRotationMatrix2D(centre, self.motion_deg, 1.0)
            kernel = cv2.warpAffine(kernel, rotation, (length, length))
            out = cv2.filter2D(out, -1, kernel / max(float(kernel.sum()), 1e-6))
        out *= self.brightness
        if self.glare:
            # Centre a third of the way from the top-right corner towards the middle.
            spot = corners[1] + (corners.mean(axis=0) - corners[1]) / 3
            radius = 0.25 * float(np.linalg.norm(corners[2] - corners[1]))
            ys, xs = np.mgrid[0 : out.shape[0], 0 : out.shape[1]].astype(np.float32)
            falloff = np.exp(-((xs - spot[0]) ** 2 + (ys - spot[1]) ** 2) / (2 * radius**2))
            out += self.glare * falloff[..., None]
        return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def target_corners(pose: Pose, width: int, height: int) -> Corners:
    """Frame-pixel positions of the target's corners, shape (4, 2) as (x, y).

    Order: top-left, top-right, bottom-right, bottom-left of the target image, i.e. the images
    of its points (0, 0), (width, 0), (width, height), (0, height).
    """
    # The untilted print is a plane at distance FOCAL_PX, so one world unit is one frame pixel
    # at the centre; its height is scale * FRAME_HEIGHT.
    unit = pose.scale * FRAME_HEIGHT / height
    half_w, half_h = width * unit / 2, height * unit / 2
    local = np.array(
        [
            [-half_w, -half_h, 0.0],
            [half_w, -half_h, 0.0],
            [half_w, half_h, 0.0],
            [-half_w, half_h, 0.0],
        ]
    )
    tx, ty, rz = (math.radians(a) for a in (pose.tilt_x_deg, pose.tilt_y_deg, pose.rotation_deg))
    # Camera axes: x right, y down, z forward. Positive tilt_x pushes the top edge (y < 0) away.
    rot_x = np.array([[1, 0, 0], [0, math.cos(tx), math.sin(tx)], [0, -math.sin(tx), math.cos(tx)]])
    rot_y = np.array([[math.cos(ty), 0, -math.sin(ty)], [0, 1, 0], [math.sin(ty), 0, math.cos(ty)]])
    rot_z = np.array([[math.cos(rz), -math.sin(rz), 0], [math.sin(rz), math.cos(rz), 0], [0, 0, 1]])
    world = local @ (rot_z @ rot_x @ rot_y).T
    depth = world[:, 2] + FOCAL_PX
    if np.any(depth <= FOCAL_PX * 0.1):
        raise ValueError(f"pose {pose} puts the target behind the camera")
    x = FRAME_WIDTH / 2 + pose.offset[0] + FOCAL_PX * world[:, 0] / depth
    y = FRAME_HEIGHT / 2 + pose.offset[1] + FOCAL_PX * world[:, 1] / depth
    return np.stack([x, y], axis=1)


def background(seed: int = 0) -> Image:
    """A light, mildly textured table top: smooth low-contrast blotches, shape (480, 640, 3) RGB."""
    rng = np.random.default_rng(seed)
    coarse = rng.normal(0.0, 1.0, (FRAME_HEIGHT // 40, FRAME_WIDTH // 40)).astype(np.float32)
    smooth = cv2.resize(coarse, (FRAME_WIDTH, FRAME_HEIGHT), interpolation=cv2.INTER_CUBIC)
    grey = np.clip(200 + 12 * smooth, 0, 255)
    tint = np.array([1.0, 0.98, 0.95], dtype=np.float32)
    rgb: Image = np.clip(grey[..., None] * tint, 0, 255).astype(np.uint8)
    return rgb


def render(target: Image, pose: Pose, *, seed: int = 0) -> tuple[Image, Corners]:
    """Render an RGB target of shape (h, w, 3) into one frame of shape (480, 640, 3) RGB.

    Returns the frame and the true corners (see :func:`target_corners`).
    """
    height, width = target.shape[:2]
    corners = target_corners(pose, width, height)
    # Pre-shrink with area averaging so a big poster does not alias when warped down; then map
    # the shrunk image's corners onto the same frame positions.
    edges = np.linalg.norm(np.roll(corners, -1, axis=0) - corners, axis=1)
    shrink = min(1.0, 1.5 * max(edges[0], edges[2]) / width, 1.5 * max(edges[1], edges[3]) / height)
    src: Image = target
    if shrink < 1.0:
        size = (max(2, round(width * shrink)), max(2, round(height * shrink)))
        src = np.asarray(cv2.resize(target, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    sh, sw = src.shape[:2]
    src_corners = np.array([[0, 0], [sw, 0], [sw, sh], [0, sh]], dtype=np.float32)
    # The source scaled by (sw / width, sh / height) keeps corner (width, height) at (sw, sh).
    homography = cv2.getPerspectiveTransform(src_corners, corners.astype(np.float32))
    size = (FRAME_WIDTH, FRAME_HEIGHT)
    warped = cv2.warpPerspective(src, homography, size, flags=cv2.INTER_LINEAR)
    mask = (
        cv2.warpPerspective(
            np.full((sh, sw), 255, np.uint8), homography, size, flags=cv2.INTER_LINEAR
        ).astype(np.float32)[..., None]
        / 255.0
    )
    frame = warped.astype(np.float32) * mask + background(seed).astype(np.float32) * (1 - mask)
    return np.clip(frame + 0.5, 0, 255).astype(np.uint8), corners


def rgb_to_i420(frame: Image) -> bytes:
    """BT.601 limited-range YUV 4:2:0 planes (Y, then U, then V) of an RGB frame (h, w, 3).

    Chromium interprets fake-capture frames as BT.601 studio range, so encode that way to keep
    the viewer's greyscale close to the rendered image.
    """
    rgb = frame.astype(np.float32)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    y = 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255
    cb = 128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255
    cr = 128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255
    h, w = y.shape

    def subsample(plane: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        blocks: npt.NDArray[np.float32] = plane.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
        return blocks

    planes = [y, subsample(cb), subsample(cr)]
    return b"".join(np.clip(p + 0.5, 0, 255).astype(np.uint8).tobytes() for p in planes)


def write_y4m(path: Path, frames: list[Image], fps: int = 15) -> None:
    """Write RGB frames of shape (h, w, 3) (even sizes) as an uncompressed YUV420p Y4M file."""
    h, w = frames[0].shape[:2]
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode("ascii"))
        for frame in frames:
            if frame.shape[:2] != (h, w):
                raise ValueError("all frames must have the same size")
            out.write(b"FRAME\n")
            out.write(rgb_to_i420(frame))


def write_feed(
    path: Path,
    target: Image,
    pose: Pose,
    *,
    look: Look | None = None,
    seconds: float = 2.0,
    fps: int = 15,
    seed: int = 0,
    noise_sigma: float = 1.5,
) -> Corners:
    """Write a static-pose camera feed of an RGB target (h, w, 3) to ``path`` (Y4M).

    Each frame gets fresh mild sensor noise so the viewer sees a live-looking camera. Chromium
    loops the file. ``look`` adds dim light, blur or glare. Returns the true corners (4, 2).
    """
    clean, corners = render(target, pose, seed=seed)
    if look is not None:
        clean = look.apply(clean, corners)
    rng = np.random.default_rng(seed)
    frames = []
    for _ in range(max(1, round(seconds * fps))):
        noisy = clean.astype(np.float32) + rng.normal(0.0, noise_sigma, clean.shape)
        frames.append(np.clip(noisy + 0.5, 0, 255).astype(np.uint8))
    write_y4m(path, frames, fps)
    return corners
