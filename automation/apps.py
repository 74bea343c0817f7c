from django.apps import AppConfig


class AutomationConfig(AppConfig):
    name = "automation"
    label = "automation"
    verbose_name = "Automation"
