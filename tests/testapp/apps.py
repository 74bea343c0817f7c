from django.apps import AppConfig


class TestAppConfig(AppConfig):
    name = "tests.testapp"
    label = "testapp"

    def ready(self):
        from crm.activity.catalogue import declare

        from . import automations

        automations.register()

        declare("test.happened", "Something happened in a test", subject="membership")
