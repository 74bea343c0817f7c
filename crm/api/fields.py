from rest_framework import serializers


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A related id limited to the current workspace: another tenant's id is "does not exist".

    Takes the model, not a queryset, so the queryset is built per request, inside the scope.
    """

    def __init__(self, model, **kwargs):
        self.model = model
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.model.objects.all()

    def use_pk_only_optimization(self):
        return True
