"""Native MindAR marker compiler: image files in, MindAR 1.2.5 ``.mind`` files out.

Depends on numpy, OpenCV, Pillow and msgpack only, so it can run in a worker without the web stack.

    mind = compile_targets(["poster.jpg"])           # bytes of a .mind file
    rating = rate_target("poster.jpg")               # {"score", "stars", "reasons", ...}
"""

from vertex_ar.markers.compiler import CompileResult, compile_targets, compile_with_stats
from vertex_ar.markers.images import DEFAULT_MAX_SIDE
from vertex_ar.markers.rating import rate_compiled, rate_target

__all__ = [
    "DEFAULT_MAX_SIDE",
    "CompileResult",
    "compile_targets",
    "compile_with_stats",
    "rate_compiled",
    "rate_target",
]
