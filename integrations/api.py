"""API of the inbox: channels (admins connect them), conversations and their messages.

Channels are the workspace managers' (MANAGERS): they carry the bot tokens, which are never
shown back in full. Conversations are scoped by `selectors.conversations_for` (OWNED, by
their assignee, see its docstring); a conversation's messages are read and written through
it, so a conversation one cannot see has no messages one can reach.
"""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response

from crm.api.fields import IdField, MemberUserField, ScopedPrimaryKeyRelatedField
from crm.api.pagination import CursorPagination
from crm.api.permissions import ManagesWorkspace, RolePermission
from crm.api.viewsets import MANAGERS, OWNED, ScopedViewSetMixin
from crm.web.params import parse_id
from pipelines.models import Pipeline, Stage

from . import channels, client_panel, selectors, services, unsorted, webforms
from .channels import ChannelError
from .models import Channel, Conversation, Message, WebForm


class ChannelUnavailable(APIException):
    status_code = status.HTTP_502_BAD_GATEWAY
    default_code = "channel_error"
    default_detail = _("The channel refused the message.")


class ChannelSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=[])
    settings = serializers.DictField(
        write_only=True, help_text=_("For Telegram: bot_token and, optionally, api_base_url.")
    )
    shown_settings = serializers.SerializerMethodField(
        help_text=_("The settings, with secrets masked.")
    )

    class Meta:
        model = Channel
        fields = ["id", "kind", "name", "status", "last_error", "settings", "shown_settings",
                  "created_at"]  # fmt: skip
        read_only_fields = ["id", "status", "last_error", "created_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = channels.kinds()

    def get_shown_settings(self, channel) -> dict:
        return services.masked_settings(channel)


class ChannelUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False)
    settings = serializers.DictField(
        required=False, help_text=_("Only what changes; secrets left out are kept.")
    )


class ChannelViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The workspace's channels. Creating one connects it at once (for Telegram,
    setWebhook); its `status` says whether that worked, `last_error` why not. PATCH
    `name` or `settings` (changed settings connect it again)."""

    scope = MANAGERS

    serializer_class = ChannelSerializer
    permission_classes = [ManagesWorkspace]
    queryset = Channel.all_tenants.none()
    filter_backends = []

    def scoped_queryset(self, membership):
        return selectors.channels()

    def perform_create(self, serializer):
        data = serializer.validated_data
        try:
            serializer.instance = services.channel_create(
                actor=self.request.membership,
                kind=data["kind"],
                name=data["name"],
                raw_settings=data["settings"],
            )
        except ValueError as exc:
            raise ValidationError({"settings": [str(exc)]}) from None

    @extend_schema(request=ChannelUpdateSerializer, responses=ChannelSerializer)
    def update(self, request, *args, **kwargs):
        channel = self.get_object()
        body = ChannelUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            channel = services.channel_update(
                actor=request.membership,
                channel=channel,
                name=data.get("name", ""),
                raw_settings=data.get("settings"),
            )
        except ValueError as exc:
            raise ValidationError({"settings": [str(exc)]}) from None
        return Response(self.get_serializer(channel).data)

    @extend_schema(request=ChannelUpdateSerializer, responses=ChannelSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, **kwargs)

    @extend_schema(request=None, responses={200: dict})
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        """Queue the channel's failed deliveries for ingestion again."""
        count = services.deliveries_retry(actor=request.membership, channel=self.get_object())
        return Response({"retried": count})

    @extend_schema(request=None, responses=ChannelSerializer)
    @action(detail=True, methods=["post"])
    def reconnect(self, request, pk=None):
        """Register the channel's webhook again (after fixing the bot, say)."""
        channel = services.channel_connect(actor=request.membership, channel=self.get_object())
        return Response(self.get_serializer(channel).data)


class ConversationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Conversation
        fields = ["id", "channel", "contact", "status", "assignee", "last_message_at", "unread",
                  "title", "snoozed_until", "waiting_since", "first_response_at", "closed_at",
                  "is_spam"]  # fmt: skip
        read_only_fields = fields


class ConversationUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Conversation.STATUSES, required=False)
    assignee = IdField(
        required=False,
        allow_null=True,
        help_text=_("A member's user id, or null for nobody."),
    )
    contact = IdField(
        required=False, allow_null=True, help_text=_("A client's id, or null to unlink.")
    )
    snoozed_until = serializers.DateTimeField(
        required=False,
        help_text=_("Snooze until this moment (the status becomes snoozed)."),
    )


class AcceptSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    stage = IdField(
        required=False, allow_null=True,
        help_text=_("An open stage's id: a deal with the new client goes there."),
    )  # fmt: skip
    deal_title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True
    )


class LinkSerializer(serializers.Serializer):
    contact = IdField(help_text=_("The id of a client you can see."))


class MessageSerializer(serializers.ModelSerializer):
    direction = serializers.ChoiceField(
        choices=[Message.OUT, Message.NOTE],
        default=Message.OUT,
        help_text=_("out: sent to the client through the channel; note: kept, never sent."),
    )
    text = serializers.CharField(max_length=services.MAX_TEXT)
    attachments = serializers.SerializerMethodField(
        help_text=_("The message's files: id, name, content_type, size, url.")
    )

    class Meta:
        model = Message
        fields = ["id", "direction", "text", "created_at", "external_id", "author", "kind",
                  "subject", "status", "meta", "attachments"]  # fmt: skip
        read_only_fields = ["id", "created_at", "external_id", "author", "kind", "subject",
                            "status", "meta"]  # fmt: skip

    def get_attachments(self, message) -> list[dict]:
        if message.pk is None:
            return []
        return [
            {"id": f.pk, "name": f.name, "content_type": f.content_type, "size": f.size,
             "url": reverse("inbox_attachment", args=[f.pk])}
            for f in message.attachments.all()
        ]  # fmt: skip


class RecentPagination(CursorPagination):
    ordering = ("-last_message_at", "-id")


class ThreadPagination(CursorPagination):
    ordering = ("created_at", "id")


class ConversationViewSet(
    ScopedViewSetMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Conversations the member may see, the latest first: `?channel=`, `?status=`,
    `?assignee=` (a user id, `me` or `none`). A member whose role sees only their own sees
    those assigned to them, and unassigned ones about clients they may see or with no
    client yet (selectors.conversations_for). PATCH `status` (open, snoozed, closed) and
    `assignee` (a member's user id, or null)."""

    scope = OWNED
    object_type = selectors.OBJECT_TYPE

    serializer_class = ConversationSerializer
    permission_classes = [RolePermission]
    pagination_class = RecentPagination
    queryset = Conversation.all_tenants.none()
    filter_backends = []

    def scoped_queryset(self, membership):
        qs = selectors.conversations_for(membership)
        params = self.request.query_params
        channel = parse_id(params.get("channel"), "channel")
        if channel is not None:
            qs = qs.filter(channel_id=channel)
        if params.get("status") in dict(Conversation.STATUSES):
            qs = qs.filter(status=params["status"])
        if params.get("q"):
            qs = selectors.search(qs, membership, params["q"])
        assignee = params.get("assignee")
        if assignee == "me":
            qs = qs.filter(assignee_id=membership.user_id)
        elif assignee == "none":
            qs = qs.filter(assignee=None)
        elif assignee:
            qs = qs.filter(assignee_id=parse_id(assignee, "assignee"))
        return qs

    @extend_schema(request=ConversationUpdateSerializer, responses=ConversationSerializer)
    def update(self, request, *args, **kwargs):
        conversation = self.get_object()
        body = ConversationUpdateSerializer(data=request.data, partial=kwargs.get("partial"))
        body.is_valid(raise_exception=True)
        data = body.validated_data
        status = data.get("status", "")
        if data.get("snoozed_until") is not None and not status:
            status = Conversation.SNOOZED
        try:
            conversation = services.conversation_update(
                actor=request.membership,
                conversation=conversation,
                status=status,
                assignee=data.get("assignee", services.UNCHANGED),
                contact=data.get("contact", services.UNCHANGED),
                snoozed_until=data.get("snoozed_until"),
            )
        except ValueError as exc:
            raise ValidationError({"non_field_errors": [str(exc)]}) from None
        return Response(ConversationSerializer(conversation).data)

    @extend_schema(request=ConversationUpdateSerializer, responses=ConversationSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    @extend_schema(request=MessageSerializer, responses=MessageSerializer)
    @action(detail=True, methods=["get", "post"], serializer_class=MessageSerializer)
    def messages(self, request, pk=None):
        """The thread, oldest first; POST a reply (sent through the channel) or a note."""
        conversation = self.get_object()
        if request.method == "GET":
            paginator = ThreadPagination()
            page = paginator.paginate_queryset(
                selectors.thread(conversation).prefetch_related("attachments"), request, self
            )
            return paginator.get_paginated_response(MessageSerializer(page, many=True).data)
        body = MessageSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data, actor = body.validated_data, request.membership
        try:
            if data["direction"] == Message.NOTE:
                message = services.note_add(
                    actor=actor, conversation=conversation, text=data["text"]
                )
            else:
                message = services.reply_send(
                    actor=actor, conversation=conversation, text=data["text"]
                )
        except ValueError as exc:
            raise ValidationError({"text": [str(exc)]}) from None
        except ChannelError as exc:
            raise ChannelUnavailable(str(exc)) from None
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)

    # Unsorted requests (unsorted.py): accept, link, decline.

    def _unsorted(self, action):
        try:
            action()
        except ValueError as exc:
            raise ValidationError({"non_field_errors": [str(exc)]}) from None
        conversation = selectors.conversations_for(self.request.membership).get(
            pk=self.kwargs["pk"]
        )
        return Response(ConversationSerializer(conversation).data)

    @extend_schema(request=AcceptSerializer, responses=ConversationSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Accept an unsorted request: the client is made from the sender (the names given
        win), optionally with a deal in `stage`; the conversation is linked to them."""
        conversation = self.get_object()
        body = AcceptSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        stage = None
        if data.get("stage"):
            stage = client_panel.open_stages_by_id().get(data["stage"])
            if stage is None:
                raise ValidationError({"stage": [_("Choose a stage of an active funnel.")]})
        return self._unsorted(
            lambda: unsorted.accept(
                actor=request.membership,
                conversation=conversation,
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
                stage=stage,
                deal_title=data.get("deal_title", ""),
                amount=data.get("amount"),
            )
        )

    @extend_schema(request=LinkSerializer, responses=ConversationSerializer)
    @action(detail=True, methods=["post"])
    def link(self, request, pk=None):
        """Link the conversation to a client you can see."""
        conversation = self.get_object()
        body = LinkSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        contact = body.validated_data["contact"]
        return self._unsorted(
            lambda: unsorted.link(
                actor=request.membership, conversation=conversation, contact=contact
            )
        )

    @extend_schema(request=None, responses=ConversationSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        """Decline an unsorted request as spam: closed, flagged, its sender blocked."""
        conversation = self.get_object()
        return self._unsorted(
            lambda: unsorted.decline(actor=request.membership, conversation=conversation)
        )


class WebFormFieldSerializer(serializers.Serializer):
    key = serializers.CharField(required=False, max_length=40)
    label = serializers.CharField(max_length=120)
    type = serializers.ChoiceField(choices=WebForm.FIELD_TYPES)
    required = serializers.BooleanField(default=False)
    maps_to = serializers.ChoiceField(choices=WebForm.MAPPINGS, required=False, allow_blank=True)
    options = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, max_length=50
    )


class WebFormSerializer(serializers.ModelSerializer):
    fields = WebFormFieldSerializer(many=True)
    pipeline = ScopedPrimaryKeyRelatedField(Pipeline, required=False, allow_null=True)
    stage = ScopedPrimaryKeyRelatedField(Stage, required=False, allow_null=True)
    responsible = MemberUserField(required=False, allow_null=True)
    allowed_origins = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, max_length=50
    )
    endpoint = serializers.SerializerMethodField(
        help_text=_("Where the site posts the answers (JSON).")
    )

    class Meta:
        model = WebForm
        fields = ["id", "name", "fields", "thank_you", "pipeline", "stage", "responsible",
                  "allowed_origins", "channel", "endpoint", "created_at"]  # fmt: skip
        read_only_fields = ["id", "channel", "endpoint", "created_at"]

    def get_endpoint(self, form) -> str:
        return webforms.public_url(form)


class WebFormViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """The workspace's web forms (admins): fields mapped to the client's or the deal's,
    the thank-you text, the funnel and stage a deal goes to, the sites allowed to post.
    Each has a channel of kind "form"; `endpoint` is its public address."""

    scope = MANAGERS

    serializer_class = WebFormSerializer
    permission_classes = [ManagesWorkspace]
    queryset = WebForm.all_tenants.none()
    filter_backends = []

    def scoped_queryset(self, membership):
        return WebForm.objects.select_related("channel").order_by("name", "id")

    def _values(self, data: dict) -> dict:
        return {k: data[k] for k in ("name", "fields", "thank_you", "pipeline", "stage",
                                     "responsible", "allowed_origins") if k in data}  # fmt: skip

    def perform_create(self, serializer):
        try:
            serializer.instance = webforms.form_create(
                actor=self.request.membership, **self._values(serializer.validated_data)
            )
        except ValueError as exc:
            raise ValidationError({"non_field_errors": [str(exc)]}) from None

    def perform_update(self, serializer):
        form = serializer.instance
        names = ("name", "fields", "thank_you", "pipeline", "stage", "responsible",
                 "allowed_origins")  # fmt: skip
        current = {k: getattr(form, k) for k in names}
        try:
            webforms.form_update(
                actor=self.request.membership,
                form=form,
                **{**current, **self._values(serializer.validated_data)},
            )
        except ValueError as exc:
            raise ValidationError({"non_field_errors": [str(exc)]}) from None

    def perform_destroy(self, instance):
        webforms.form_delete(actor=self.request.membership, form=instance)
