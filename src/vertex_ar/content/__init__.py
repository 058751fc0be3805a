"""AR content: a target image, its videos, its marker and its rotation rule."""
