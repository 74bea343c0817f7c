from datetime import timedelta

import django_filters
from django.db.models import Case, F, Q, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.fields import CharField, IntegerField
from rest_framework.response import Response

from crm.api.fields import MemberUserField
from crm.api.filters import DayFilter, IdFilter, TextFilter, members_of_workspace
from crm.api.permissions import IsTenantMember, ManagesWorkspace, RolePermission
from crm.api.viewsets import MANAGERS, OWNED, PERSONAL, ScopedViewSetMixin
from crm.web.params import as_id

from . import records, selectors, services
from .models import AuditEntry, CalendarFeed, Comment, Notification, Task
from .services.tasks import UNCHANGED


class AuditEntrySerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "changes",
            "actor",
            "created_at",
        ]

    def get_actor(self, entry) -> str | None:
        return entry.actor.email if entry.actor else None


class AuditEntryFilter(django_filters.FilterSet):
    actor = django_filters.ModelChoiceFilter(queryset=members_of_workspace)
    object_type = TextFilter()
    object_id = IdFilter()
    action = TextFilter()

    class Meta:
        model = AuditEntry
        fields = ["object_type", "object_id", "action"]


class AuditEntryViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """The workspace's audit trail: who changed what, when, old and new values."""

    scope = MANAGERS

    serializer_class = AuditEntrySerializer
    permission_classes = [ManagesWorkspace]
    filterset_class = AuditEntryFilter
    queryset = AuditEntry.all_tenants.none()

    def scoped_queryset(self, membership):
        return selectors.audit_trail()


# --- tasks ------------------------------------------------------------------------------


class TaskSerializer(serializers.ModelSerializer):
    assignee = MemberUserField(required=False, help_text="A member's user id; you by default.")
    object_type = serializers.CharField(
        required=False, allow_blank=True, help_text="The record: deal, contact or company."
    )
    object_id = serializers.IntegerField(required=False, allow_null=True)
    subject_repr = serializers.SerializerMethodField(
        help_text="The record's name; empty when it is one you cannot see."
    )
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Task
        fields = [
            "id", "title", "kind", "due_at", "all_day", "due_date", "duration_minutes",
            "assignee", "created_by", "object_type", "object_id", "subject_repr", "notes",
            "done_at", "completion_note", "reminder_minutes_before", "reminded_at", "overdue",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = [
            "created_by", "subject_repr", "done_at", "completion_note", "reminded_at",
            "created_at", "updated_at",
        ]  # fmt: skip

    def get_overdue(self, task) -> bool:
        return selectors.is_overdue(task, timezone.now(), timezone.localdate())

    def get_subject_repr(self, task) -> str:
        visible = getattr(task, "subject_visible", None)
        if visible is None:  # a task just written by a service, not read through the selector
            membership = self.context["request"].membership
            visible = not task.object_type or (
                records.find(membership, task.object_type, task.object_id) is not None
            )
        return task.subject_repr if visible else ""


class CompleteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000)


def _day_start(day):
    return selectors.day_start(day, timezone.get_current_timezone())


class TaskFilter(django_filters.FilterSet):
    assignee = django_filters.ModelChoiceFilter(queryset=members_of_workspace)
    object_type = TextFilter()
    object_id = IdFilter()
    due_after = DayFilter(method="filter_due_after", label="Due on or after")
    due_before = DayFilter(method="filter_due_before", label="Due on or before")
    overdue = django_filters.BooleanFilter(method="filter_overdue")
    done = django_filters.BooleanFilter(method="filter_done")

    class Meta:
        model = Task
        fields = ["assignee", "kind", "object_type", "object_id"]

    def filter_due_after(self, qs, name, value):
        return qs.filter(
            Q(all_day=False, due_at__gte=_day_start(value)) | Q(all_day=True, due_date__gte=value)
        )

    def filter_due_before(self, qs, name, value):
        end = _day_start(value + timedelta(days=1))
        return qs.filter(Q(all_day=False, due_at__lt=end) | Q(all_day=True, due_date__lte=value))

    def filter_overdue(self, qs, name, value):
        late = selectors.overdue(qs, timezone.now(), timezone.localdate())
        return late if value else qs.exclude(pk__in=late.values("pk"))

    def filter_done(self, qs, name, value):
        return qs.filter(done_at__isnull=not value)


class TaskPermission(RolePermission):
    """Completing and reopening are edits, though they are POSTs."""

    def has_permission(self, request, view):
        if getattr(view, "action", None) in {"complete", "reopen"}:
            return IsTenantMember.has_permission(self, request, view) and (
                request.membership.can("task", "edit")
            )
        return super().has_permission(request, view)


class TaskViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Calls, meetings and to-dos. Filters: `assignee`, `due_after`, `due_before` (days, in
    your time zone), `overdue`, `done`, `kind`, and the record: `object_type` + `object_id`."""

    scope = OWNED

    serializer_class = TaskSerializer
    permission_classes = [TaskPermission]
    object_type = "task"
    filterset_class = TaskFilter
    ordering_fields = ["id", "created_at", "updated_at"]
    search_fields = ["title", "subject_shown"]
    queryset = Task.all_tenants.none()

    def scoped_queryset(self, membership):
        # Search finds a record's name only where the member may see the record.
        return selectors.tasks_visible_to(self.request.membership).annotate(
            subject_shown=Case(
                When(subject_visible=True, then=F("subject_repr")), default=Value("")
            )
        )

    def _subject(self, data: dict, required: bool):
        object_type = data.pop("object_type", None)
        object_id = data.pop("object_id", None)
        if object_type is None and object_id is None and not required:
            return UNCHANGED
        if not object_type:
            return None
        subject = records.find(self.request.membership, object_type, object_id)
        if subject is None:
            raise serializers.ValidationError(
                {"object_id": [_("Not found among the records you can see.")]}
            )
        return subject

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        subject = self._subject(data, required=True)
        serializer.instance = services.task_create(
            actor=self.request.membership, subject=subject, **data
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        subject = self._subject(data, required=False)
        serializer.instance = services.task_update(
            actor=self.request.membership, task=serializer.instance, data=data, subject=subject
        )

    def perform_destroy(self, instance):
        services.task_delete(actor=self.request.membership, task=instance)

    @extend_schema(request=CompleteSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """Mark the task done, with an optional result note."""
        task = self.get_object()
        body = CompleteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        task = services.task_complete(
            actor=request.membership, task=task, note=body.validated_data.get("note", "")
        )
        return Response(self.get_serializer(task).data)

    @extend_schema(request=None, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """Mark a done task as not done."""
        task = services.task_reopen(actor=request.membership, task=self.get_object())
        return Response(self.get_serializer(task).data)


# --- comments ---------------------------------------------------------------------------


class CommentSerializer(serializers.ModelSerializer):
    object_type = serializers.CharField(help_text="The record: deal, contact or company.")
    object_id = serializers.IntegerField()
    author = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Comment
        fields = ["id", "object_type", "object_id", "author", "body", "mentions", "created_at"]
        read_only_fields = ["author", "mentions", "created_at"]


class CommentViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Comments on a record. List them with `object_type` + `object_id` (a record you can
    see); without them, the comments you wrote or were @mentioned in. `@name` (the part of
    a colleague's email before the @) or `@[Full Name]` in the body notifies them."""

    scope = OWNED

    serializer_class = CommentSerializer
    queryset = Comment.all_tenants.none()
    filter_backends = []

    def scoped_queryset(self, membership):
        params = self.request.query_params
        if self.action == "list" and params.get("object_type"):
            subject = records.find(
                self.request.membership, params["object_type"], params.get("object_id", "")
            )
            if subject is None:
                raise Http404
            return selectors.comments_on(params["object_type"], subject.pk)
        return selectors.comments_involving(self.request.membership)

    def get_object(self):
        # On a record the member may not see: the same answer as a missing comment.
        visible = selectors.comments_visible_to(self.request.membership)
        return get_object_or_404(visible, pk=as_id(self.kwargs["pk"]) or 0)

    @extend_schema(
        parameters=[
            OpenApiParameter("object_type", enum=["deal", "contact", "company"]),
            OpenApiParameter("object_id", type=int),
        ]
    )
    def list(self, request, *args, **kwargs):
        self.paginator.ordering = "id" if request.query_params.get("object_type") else "-id"
        return super().list(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = serializer.validated_data
        subject = records.find(self.request.membership, data["object_type"], data["object_id"])
        if subject is None:
            raise Http404  # missing, another workspace's or hidden: one answer
        serializer.instance = services.comment_add(
            actor=self.request.membership, subject=subject, body=data["body"]
        )


# --- notifications ----------------------------------------------------------------------


class NotificationSerializer(serializers.ModelSerializer):
    # Without the record's title and link when it is one you may not open (any more).
    title = serializers.CharField(source="shown_title", read_only=True)
    url = serializers.CharField(source="shown_url", read_only=True)
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "url", "read", "read_at", "created_at"]

    def get_read(self, notification) -> bool:
        return notification.read_at is not None


class NotificationFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(field_name="read_at", lookup_expr="isnull")

    class Meta:
        model = Notification
        fields = ["kind"]


class NotificationViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Your notifications in this workspace. `?unread=true` for the unread ones."""

    scope = PERSONAL

    serializer_class = NotificationSerializer
    queryset = Notification.all_tenants.none()
    filterset_class = NotificationFilter

    def scoped_queryset(self, membership):
        return selectors.notifications_for(self.request.membership)

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = services.notification_read(
            actor=request.membership, notification=self.get_object()
        )
        return Response(self.get_serializer(notification).data)

    @extend_schema(request=None, responses=inline_serializer("ReadAll", {"marked": IntegerField()}))
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        return Response({"marked": services.notifications_read_all(actor=request.membership)})


# --- calendar feed ----------------------------------------------------------------------


class CalendarFeedSerializer(serializers.ModelSerializer):
    class Meta:
        model = CalendarFeed
        fields = ["id", "created_at", "last_used_at"]


class CalendarFeedViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Your private iCal feed of tasks in this workspace. `POST regenerate/` makes a new URL
    (returned once; the old one stops working); DELETE turns the feed off."""

    scope = PERSONAL

    serializer_class = CalendarFeedSerializer
    queryset = CalendarFeed.all_tenants.none()
    filter_backends = []

    def scoped_queryset(self, membership):
        return CalendarFeed.objects.filter(user=self.request.user)

    def perform_destroy(self, instance):
        services.calendar_feed_revoke(actor=self.request.membership, feed=instance)

    @extend_schema(
        request=None,
        responses=inline_serializer("CalendarFeedUrl", {"id": IntegerField(), "url": CharField()}),
    )
    @action(detail=False, methods=["post"])
    def regenerate(self, request):
        feed, raw = services.calendar_feed_regenerate(actor=request.membership)
        url = request.build_absolute_uri(reverse("calendar_feed", args=[raw]))
        return Response({"id": feed.pk, "url": url})
