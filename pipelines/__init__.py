"""Sales funnels: pipelines, stages, automation rules (to come)."""
