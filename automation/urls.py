"""Automation's pages."""

urlpatterns: list = []
