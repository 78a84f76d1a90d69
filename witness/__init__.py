"""Witness: digital-witness monitor for public-resource trading centres."""

__version__ = "0.1.0"
