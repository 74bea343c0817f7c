"""Automation: rules on funnel stages and workspace events, durable delayed steps, run history
and outgoing webhooks. Apps add triggers and actions through the platform's catalogue; the
engine imports no app."""
