"""The content's "stable ↔ responsive" setting as MindAR's One-Euro filter parameters.

MindAR smooths the print's pose with a One-Euro filter: `filterMinCF` is the cut-off frequency
while the print is still (lower: less jitter, more lag), `filterBeta` how fast the cut-off rises
with the pose's speed (higher: follows quick moves sooner, but a shaking hand's small fast
motions open the filter too, which is the jitter people see). Both are interpolated on a log
scale between the two ends below; the middle (the default) keeps MindAR's own minimum cut-off
and lowers its beta from 1000 to 1, so hand tremor no longer opens the filter. These are choices
from the filter's maths and MindAR's documentation, not yet measured on a jitter benchmark.
"""

from __future__ import annotations

import math
from typing import Final

DEFAULT_SMOOTHING: Final = 0.5
# (filterMinCF, filterBeta): MindAR's own beta with a 10x higher cut-off, and the values MindAR's
# documentation suggests against jitter.
RESPONSIVE: Final = (1e-2, 1e3)
STABLE: Final = (1e-4, 1e-3)


def filter_for(smoothing: float | None) -> tuple[float, float]:
    """(filterMinCF, filterBeta) for a smoothing of 0 (responsive) to 1 (stable)."""
    s = DEFAULT_SMOOTHING if smoothing is None else min(max(smoothing, 0.0), 1.0)

    def between(responsive: float, stable: float) -> float:
        exponent = math.log10(responsive) + s * (math.log10(stable) - math.log10(responsive))
        return float(f"{10**exponent:.6g}")

    return between(RESPONSIVE[0], STABLE[0]), between(RESPONSIVE[1], STABLE[1])
