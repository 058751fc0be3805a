"""QR codes decode back to the viewer URL: PNG with OpenCV, SVG and PDF after rasterising their
vector modules here; the PDF has its exact millimetre size and the URL printed under the code."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from tests.support.content import make_content
from tests.support.qr_decode import decode
from tests.support.tenants import Tenant
from vertex_ar.qr.pdf import POINTS_PER_MM

Grid = npt.NDArray[np.uint8]


def upscale(modules: Grid, px: int = 8) -> Grid:
    """A module grid (1 = dark) as a white-on-black-free greyscale image, px per module."""
    grey = np.where(modules > 0, 0, 255).astype(np.uint8)
    return np.kron(grey, np.ones((px, px), np.uint8))


def svg_modules(svg: bytes) -> tuple[Grid, float]:
    """Rasterise segno's path (M/m moves, h strokes of width 1 along y + 0.5) into modules."""
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    path = root.find("{http://www.w3.org/2000/svg}path")
    assert path is not None
    scale = float(re.fullmatch(r"scale\(([\d.]+)\)", path.get("transform", "")).group(1))  # type: ignore[union-attr]
    width = float(root.get("width", "0"))
    n = round(width / scale)
    grid = np.zeros((n, n), np.uint8)
    x = y = 0.0
    for command, args in re.findall(r"([MmHh])([^MmHh]*)", path.get("d", "")):
        values = [float(v) for v in args.replace(",", " ").split()]
        if command == "M":
            x, y = values
        elif command == "m":
            x, y = x + values[0], y + values[1]
        else:
            end = values[0] if command == "H" else x + values[0]
            grid[int(y), round(x) : round(end)] = 1
            x = end
    return grid, width


def pdf_parts(pdf: bytes) -> tuple[list[float], str, list[str]]:
    """(MediaBox, content stream, caption lines) of our one-page PDF; checks the xref table."""
    assert pdf.startswith(b"%PDF-1.4")
    startxref = int(re.search(rb"startxref\n(\d+)\n%%EOF\n$", pdf).group(1))  # type: ignore[union-attr]
    assert pdf[startxref:].startswith(b"xref\n")
    offsets = [int(m) for m in re.findall(rb"(\d{10}) 00000 n ", pdf[startxref:])]
    for number, offset in enumerate(offsets, start=1):
        assert pdf[offset:].startswith(b"%d 0 obj" % number), number
    box = [float(v) for v in re.search(rb"/MediaBox \[([^\]]+)\]", pdf).group(1).split()]  # type: ignore[union-attr]
    stream = re.search(rb"stream\n(.*?)\nendstream", pdf, re.S).group(1).decode("latin-1")  # type: ignore[union-attr]
    lines = re.findall(r"\((.*?)\) (?:Tj|')", stream)
    return box, stream, lines


def pdf_raster(stream: str, box: list[float], px_per_pt: float = 4.0) -> Grid:
    """Paint the stream's filled black rectangles (PDF y axis points up)."""
    width, height = box[2], box[3]
    image = np.full((round(height * px_per_pt), round(width * px_per_pt)), 255, np.uint8)
    black = stream.split("0 g", 1)[1].split("BT", 1)[0]
    for x, y, w, h in re.findall(r"([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+) re", black):
        x0, x1 = round(float(x) * px_per_pt), round((float(x) + float(w)) * px_per_pt)
        top = round((height - float(y) - float(h)) * px_per_pt)
        bottom = round((height - float(y)) * px_per_pt)
        image[top:bottom, x0:x1] = 0
    return image


@pytest.fixture
async def content(tenant_a: Tenant) -> dict[str, Any]:
    return await make_content(tenant_a, [])


def _url(settings: Any, content: dict[str, Any]) -> str:
    return f"{settings.public_base_url.rstrip('/')}/ar/{content['unique_id']}"


async def test_png_decodes_to_the_viewer_url(
    settings: Any, tenant_a: Tenant, content: dict[str, Any]
) -> None:
    url = f"/api/ar-content/{content['id']}/qr"
    for size in (None, 200, 1000):
        params = {"format": "png"} | ({"size": str(size)} if size else {})
        response = await tenant_a.admin.get(url, params=params)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "image/png"
        assert content["unique_id"] in response.headers["content-disposition"]
        image = cv2.imdecode(np.frombuffer(response.content, np.uint8), cv2.IMREAD_GRAYSCALE)
        wanted = size or 512
        assert image.shape[0] == image.shape[1]
        assert wanted * 0.8 < image.shape[0] <= wanted  # whole pixels per module, within size
        assert decode(image) == _url(settings, content)
    default = await tenant_a.admin.get(url)  # format defaults to png
    assert default.headers["content-type"] == "image/png"


async def test_svg_is_exact_size_and_decodes(
    settings: Any, tenant_a: Tenant, content: dict[str, Any]
) -> None:
    response = await tenant_a.admin.get(
        f"/api/ar-content/{content['id']}/qr", params={"format": "svg", "size": "300"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    modules, width = svg_modules(response.content)
    assert width == 300
    assert modules[:4].sum() == 0 and modules[:, :4].sum() == 0  # the quiet zone is empty
    assert decode(upscale(modules)) == _url(settings, content)


async def test_pdf_is_print_ready(settings: Any, tenant_a: Tenant, content: dict[str, Any]) -> None:
    for size_mm in (30, 50, 120):
        response = await tenant_a.admin.get(
            f"/api/ar-content/{content['id']}/qr", params={"format": "pdf", "size": str(size_mm)}
        )
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/pdf"
        box, stream, lines = pdf_parts(response.content)
        assert box[0] == box[1] == 0
        assert abs(box[2] - size_mm * POINTS_PER_MM) < 0.01  # exactly size_mm wide
        assert box[3] > box[2]  # room for the caption under the code
        assert "".join(lines) == _url(settings, content)
        assert "/BaseFont /Courier" in response.text
        # Every caption line fits inside the page (Courier: 0.6 em per character).
        font = float(re.search(r"/F1 ([\d.]+) Tf", stream).group(1))  # type: ignore[union-attr]
        assert max(len(line) for line in lines) * 0.6 * font <= box[2]
        assert decode(pdf_raster(stream, box)) == _url(settings, content)


async def test_bad_parameters_and_tenancy(
    tenant_a: Tenant, tenant_b: Tenant, content: dict[str, Any]
) -> None:
    url = f"/api/ar-content/{content['id']}/qr"
    for params in (
        {"format": "bmp"},
        {"format": "png", "size": "10"},
        {"format": "png", "size": "5000"},
        {"format": "pdf", "size": "1000"},
        {"format": "pdf", "size": "5"},
        {"size": "big"},
    ):
        response = await tenant_a.admin.get(url, params=params)
        assert response.status_code == 422, params
        assert response.json()["error"]["code"] == "invalid_input"
    assert (await tenant_b.admin.get(url)).status_code == 404
    assert (await tenant_b.admin.get(url, params={"format": "pdf"})).status_code == 404
    assert (await tenant_a.admin.get("/api/ar-content/999999/qr")).status_code == 404
    assert (await tenant_a.admin.http.get(url)).status_code == 401
