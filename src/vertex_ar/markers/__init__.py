"""Native MindAR marker compiler: image files in, MindAR 1.2.5 ``.mind`` files out.

Depends on numpy, OpenCV, Pillow and msgpack only, so it can run in a worker without the web stack.
"""

from vertex_ar.markers.images import DEFAULT_MAX_SIDE

__all__ = ["DEFAULT_MAX_SIDE"]
