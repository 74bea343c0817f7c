"""Report types, reports, dashboards and sales plans (to come)."""
