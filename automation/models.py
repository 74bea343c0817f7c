"""Automation's tables."""
