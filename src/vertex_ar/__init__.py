"""Vertex AR: self-hosted platform for image-triggered web AR."""
