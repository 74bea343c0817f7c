"""/api/v1/webhooks/: the workspace's outgoing webhook endpoints (MANAGERS: only members
whose role manages the workspace), their delivery log and resending a failed delivery.

The signing secret is in the answer to the POST that creates an endpoint (and to
rotate-secret), never again.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from crm.api.pagination import CursorPagination
from crm.api.permissions import ManagesWorkspace
from crm.api.viewsets import MANAGERS, ScopedViewSetMixin

from ..webhook_models import WebhookDelivery, WebhookEndpoint
from . import selectors, services


class WebhookSerializer(serializers.ModelSerializer):
    url = serializers.CharField(max_length=2000)
    events = serializers.ListField(
        child=serializers.CharField(max_length=64),
        help_text='Event types of the catalogue ("deal.stage_changed") or families ("deal.*").',
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "description", "events", "is_active", "disabled_reason",
                  "disabled_at", "consecutive_failures", "created_at"]  # fmt: skip
        read_only_fields = ["id", "disabled_reason", "disabled_at", "consecutive_failures",
                            "created_at"]  # fmt: skip


class WebhookCreatedSerializer(WebhookSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="The signing secret (Standard Webhooks), shown only now."
    )

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]


class WebhookUpdateSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=2000, required=False)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    events = serializers.ListField(child=serializers.CharField(max_length=64), required=False)
    is_active = serializers.BooleanField(required=False)


class DeliverySerializer(serializers.ModelSerializer):
    webhook_id = serializers.CharField(read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = ["id", "event", "event_type", "webhook_id", "status", "attempts",
                  "response_code", "response_excerpt", "error", "created_at",
                  "last_attempt_at", "next_attempt_at", "delivered_at", "payload"]  # fmt: skip
        read_only_fields = fields


class RedeliverSerializer(serializers.Serializer):
    delivery = serializers.IntegerField(help_text="The id of a failed delivery.")


class WebhookViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Endpoints that receive the workspace's events, signed per Standard Webhooks
    (`webhook-id`, `webhook-timestamp`, `webhook-signature`). An endpoint answering 410 Gone,
    or failing for long, is switched off (`is_active` false, `disabled_reason` says why);
    PATCH `is_active: true` switches it on again."""

    scope = MANAGERS
    serializer_class = WebhookSerializer
    permission_classes = [ManagesWorkspace]
    queryset = WebhookEndpoint.all_tenants.none()
    filter_backends = []

    def scoped_queryset(self, membership):
        return selectors.endpoints()

    @extend_schema(request=WebhookSerializer, responses={201: WebhookCreatedSerializer})
    def create(self, request, *args, **kwargs):
        body = WebhookSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        endpoint, secret = services.endpoint_create(
            actor=request.membership,
            url=data["url"],
            events=data["events"],
            description=data.get("description", ""),
        )
        endpoint.secret = secret
        return Response(WebhookCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=WebhookUpdateSerializer, responses=WebhookSerializer)
    def update(self, request, *args, **kwargs):
        endpoint = self.get_object()
        body = WebhookUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        endpoint = services.endpoint_update(
            actor=request.membership, endpoint=endpoint, **body.validated_data
        )
        return Response(WebhookSerializer(endpoint).data)

    @extend_schema(request=WebhookUpdateSerializer, responses=WebhookSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, **kwargs)

    def perform_destroy(self, instance):
        services.endpoint_delete(actor=self.request.membership, endpoint=instance)

    @extend_schema(request=None, responses=DeliverySerializer(many=True))
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        """The endpoint's deliveries, newest first: status (pending, delivered, failed),
        attempts, the last response's code and start, the error, and when."""
        paginator = CursorPagination()
        page = paginator.paginate_queryset(
            selectors.deliveries_of(self.get_object()), request, view=self
        )
        return paginator.get_paginated_response(DeliverySerializer(page, many=True).data)

    @extend_schema(request=RedeliverSerializer, responses=DeliverySerializer)
    @action(detail=True, methods=["post"])
    def redeliver(self, request, pk=None):
        """Send a failed delivery again (same body and webhook-id, a new round of retries)."""
        endpoint = self.get_object()
        body = RedeliverSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        found = get_object_or_404(
            selectors.deliveries_of(endpoint), pk=body.validated_data["delivery"]
        )
        found = services.delivery_resend(actor=request.membership, found=found)
        return Response(DeliverySerializer(found).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: WebhookCreatedSerializer})
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        """A new signing secret, shown only now; the old one stops signing at once."""
        endpoint = self.get_object()
        endpoint.secret = services.endpoint_rotate_secret(
            actor=request.membership, endpoint=endpoint
        )
        return Response(WebhookCreatedSerializer(endpoint).data)
