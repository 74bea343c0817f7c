"""Channels, connectors and the unified inbox (to come)."""
