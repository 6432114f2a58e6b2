"""Helpers for building the project (not shipped in the wheel)."""
