"""Outgoing webhooks: endpoints subscribed to the event spine's types, each event delivered
signed (Standard Webhooks), retried durably, through an SSRF guard. See README.md."""
