"""The project's URLs plus /api/v1/imports/, until crm/api/urls.py registers it."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from contacts.importer.api import ImportJobViewSet
from crm.urls import urlpatterns as project_urlpatterns

router = DefaultRouter(trailing_slash=True)
router.register("imports", ImportJobViewSet, basename="import")

urlpatterns = [path("api/v1/", include(router.urls)), *project_urlpatterns]
