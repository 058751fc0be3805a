"""AR content: a target image, its videos and its marker (its rotation rule: `rotation`)."""
