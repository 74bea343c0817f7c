"""API of canned responses: `/api/v1/canned-responses/`.

Scoped by `canned.canned_for` (PERSONAL: the shared ones and the member's own; a
colleague's personal response answers 404 like one that never was). Writes go through
canned.py: an unknown placeholder is a 400 naming it; a shared one is changed only by
those who manage the workspace (403).
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response

from crm.api.pagination import CursorPagination
from crm.api.viewsets import PERSONAL, ScopedViewSetMixin
from crm.web.params import parse_id

from . import canned, selectors
from .models import CannedResponse


class CannedResponseSerializer(serializers.ModelSerializer):
    shared = serializers.BooleanField(
        default=False, help_text=_("Shared with the workspace; otherwise only its owner sees it.")
    )

    class Meta:
        model = CannedResponse
        fields = ["id", "title", "text", "shared", "owner", "created_at", "updated_at"]
        read_only_fields = ["id", "owner", "created_at", "updated_at"]


class RenderedSerializer(serializers.Serializer):
    text = serializers.CharField()


class TitlePagination(CursorPagination):
    ordering = ("title", "id")


def _raise(exc) -> None:
    if isinstance(exc, DjangoValidationError):
        raise ValidationError(exc.message_dict) from None
    raise PermissionDenied(str(exc) or None) from None


class CannedResponseViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """The shared canned responses and your own, by title (`?q=` searches title and
    text). Placeholders: {{contact.first_name}}, {{contact.last_name}},
    {{contact.full_name}}, {{company.name}}, {{manager.first_name}},
    {{manager.full_name}}, {{deal.title}}; any other is refused."""

    scope = PERSONAL

    serializer_class = CannedResponseSerializer
    pagination_class = TitlePagination
    queryset = CannedResponse.all_tenants.none()
    filter_backends = []

    def scoped_queryset(self, membership):
        return canned.search(canned.canned_for(membership), self.request.query_params.get("q"))

    def check_permissions(self, request):
        super().check_permissions(request)
        membership = getattr(request, "membership", None)
        if membership is not None and not membership.can(selectors.OBJECT_TYPE, "view"):
            self.permission_denied(request)

    def perform_create(self, serializer):
        data = serializer.validated_data
        try:
            serializer.instance = canned.canned_create(
                actor=self.request.membership, title=data["title"], text=data["text"],
                shared=data.get("shared", False),
            )  # fmt: skip
        except (DjangoValidationError, DjangoPermissionDenied) as exc:
            _raise(exc)

    def perform_update(self, serializer):
        data, instance = serializer.validated_data, serializer.instance
        try:
            serializer.instance = canned.canned_update(
                actor=self.request.membership,
                response=instance,
                title=data.get("title", instance.title),
                text=data.get("text", instance.text),
                shared=data.get("shared") if "shared" in self.request.data else None,
            )
        except (DjangoValidationError, DjangoPermissionDenied) as exc:
            _raise(exc)

    def perform_destroy(self, instance):
        try:
            canned.canned_delete(actor=self.request.membership, response=instance)
        except DjangoPermissionDenied as exc:
            _raise(exc)

    @extend_schema(
        parameters=[OpenApiParameter("conversation", int, required=True)],
        responses=RenderedSerializer,
    )
    @action(detail=True, methods=["get"])
    def render(self, request, pk=None):
        """The response's text with its placeholders filled in for `?conversation=<id>`
        (a conversation you may see), as the reply box inserts it."""
        response = self.get_object()
        conversation_id = parse_id(request.query_params.get("conversation"), "conversation")
        conversation = (
            selectors.conversations_for(request.membership)
            .select_related("assignee")
            .filter(pk=conversation_id)
            .first()
            if conversation_id is not None
            else None
        )
        if conversation is None:
            raise NotFound(_("Conversation not found."))
        text = canned.render(request.membership, response, conversation)
        return Response({"text": text}, status=status.HTTP_200_OK)
