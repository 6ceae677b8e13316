"""Cooling option plugins."""
