"""The API's base viewset: the queryset comes from `scoped_queryset(membership)` only."""

import pytest
from rest_framework import viewsets

from crm.api.urls import router
from crm.api.viewsets import SCOPES, ScopedViewSetMixin


def test_a_viewset_cannot_read_around_its_selector():
    with pytest.raises(TypeError, match="scoped_queryset"):

        class Sneaky(ScopedViewSetMixin, viewsets.ModelViewSet):
            scope = "owned"

            def get_queryset(self):
                return None


def test_every_routed_viewset_is_scoped():
    for prefix, viewset, _ in router.registry:
        assert issubclass(viewset, ScopedViewSetMixin) and viewset.scope in SCOPES, prefix
