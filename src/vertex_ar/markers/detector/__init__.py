"""MindAR 1.2.5's feature detector, one module per stage as in ``image-target/detector/``.

``detector.detect`` runs the whole pipeline on one keyframe image: ``pyramid`` (Gaussian and DoG
octaves), ``extrema`` (DoG extrema, pruning, sub-pixel localisation), ``orientation`` and ``freak``
(descriptors).
"""
