"""API of deals: deals (filters, ordering, cursor pages; move/won/lost/reopen), their line
items and contacts, and the product catalogue.

Reads go through deals.selectors (the role's visibility); writes through deals.services.
Every id in a request is looked up inside the workspace (and, for deals and contacts, inside
what the member may see): another workspace's id is "does not exist", or 404 in a URL.
"""

from django.db.models import Prefetch, Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from contacts.models import Company, Contact
from contacts.selectors import contacts_for
from crm.api.fields import MemberUserField, ScopedPrimaryKeyRelatedField
from crm.api.permissions import IsTenantMember, ManagesWorkspaceOrReadOnly, RolePermission
from crm.api.viewsets import OWNED, WORKSPACE, ScopedViewSetMixin
from crm.tenancy.context import current_tenant_id
from crm.web.params import clean_text, parse_id
from pipelines.models import LostReason, Pipeline, Stage

from . import selectors, services
from .models import Deal, DealContact, LineItem, Product

# --- permissions -------------------------------------------------------------------------


class DealPermission(RolePermission):
    """RolePermission for "deal"; the board's actions (move, won, lost, reopen) are edits."""

    EDITS = {"move", "won", "lost", "reopen"}

    def has_permission(self, request, view):
        if getattr(view, "action", None) in self.EDITS:
            return IsTenantMember.has_permission(self, request, view) and (
                request.membership.can("deal", "edit")
            )
        return super().has_permission(request, view)


class DealPartPermission(IsTenantMember):
    """Line items and contacts of a deal: reading them needs view on deals, any change to
    them is an edit of the deal."""

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        needed = "view" if request.method in ("GET", "HEAD", "OPTIONS") else "edit"
        return request.membership.can("deal", needed)


# --- fields ------------------------------------------------------------------------------


class VisibleRelatedField(serializers.PrimaryKeyRelatedField):
    """An id among the records the member may see (`selector(membership)`); anything else,
    another workspace's record included, is "does not exist"."""

    def __init__(self, model, selector, **kwargs):
        self.model, self.selector = model, selector
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        membership = getattr(request, "membership", None)
        if current_tenant_id() is None or membership is None:
            return self.model.all_tenants.none()
        return self.selector(membership)

    def use_pk_only_optimization(self):
        return True


def _visible_deals(membership):
    return selectors.deals_for(membership)


# --- serializers -------------------------------------------------------------------------


class DealContactBriefSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="contact_id", read_only=True)
    name = serializers.CharField(source="contact.__str__", read_only=True)

    class Meta:
        model = DealContact
        fields = ["id", "name", "role"]


class DealSerializer(serializers.ModelSerializer):
    pipeline = ScopedPrimaryKeyRelatedField(Pipeline, required=False)
    pipeline_name = serializers.CharField(source="pipeline.name", read_only=True)
    stage = ScopedPrimaryKeyRelatedField(
        Stage,
        required=False,
        help_text=_("On update, moves the deal (as the move action, to the end of the column)."),
    )
    stage_name = serializers.CharField(source="stage.name", read_only=True)
    probability = serializers.IntegerField(source="stage.probability", read_only=True)
    owner = MemberUserField(allow_null=True, required=False)
    owner_name = serializers.CharField(source="owner.display_name", read_only=True, default=None)
    company = ScopedPrimaryKeyRelatedField(Company, allow_null=True, required=False)
    company_name = serializers.CharField(source="company.name", read_only=True, default=None)
    lost_reason_name = serializers.CharField(
        source="lost_reason.name", read_only=True, default=None
    )
    contacts = DealContactBriefSerializer(source="deal_contacts", many=True, read_only=True)
    contact_ids = serializers.ListField(
        child=ScopedPrimaryKeyRelatedField(Contact),
        write_only=True,
        required=False,
        help_text=_("Contacts of the deal; on update, replaces them (roles are kept)."),
    )
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False)
    custom = serializers.DictField(required=False)
    is_rotting = serializers.BooleanField(read_only=True)

    class Meta:
        model = Deal
        fields = [
            "id", "title", "amount", "currency", "expected_close", "pipeline", "pipeline_name",
            "stage", "stage_name", "probability", "position", "status", "lost_reason",
            "lost_reason_name", "lost_note", "owner", "owner_name", "company", "company_name",
            "contacts", "contact_ids", "tags", "custom", "source", "utm_source", "utm_medium",
            "utm_campaign", "utm_term", "utm_content", "created_at", "updated_at",
            "stage_entered_at", "closed_at", "next_activity_at", "last_activity_at",
            "is_rotting",
        ]  # fmt: skip
        read_only_fields = ["id", "position", "status", "lost_reason", "lost_note",
                            "created_at", "updated_at", "stage_entered_at", "closed_at",
                            "next_activity_at", "last_activity_at"]  # fmt: skip
        extra_kwargs = {"amount": {"required": False}, "currency": {"required": False}}

    def validate(self, attrs):
        return attrs  # the service checks what belongs together (stage and pipeline, ...)

    def to_representation(self, deal):
        """What DRF's field-by-field walk gives (tests/deals/test_api.py compares the two),
        built directly: a page of 50 deals serializes in a tenth of the time."""
        fields = self.fields
        moment = fields["created_at"].to_representation
        owner, company, reason = deal.owner, deal.company_shown, deal.lost_reason

        def when(value):
            return None if value is None else moment(value)

        return {
            "id": deal.pk,
            "title": deal.title,
            "amount": fields["amount"].to_representation(deal.amount),
            "currency": deal.currency,
            "expected_close": deal.expected_close.isoformat() if deal.expected_close else None,
            "pipeline": deal.pipeline_id,
            "pipeline_name": deal.pipeline.name,
            "stage": deal.stage_id,
            "stage_name": deal.stage.name,
            "probability": deal.stage.probability,
            "position": float(deal.position),
            "status": deal.status,
            "lost_reason": deal.lost_reason_id,
            "lost_reason_name": reason.name if reason else None,
            "lost_note": deal.lost_note,
            "owner": deal.owner_id,
            "owner_name": owner.display_name if owner else None,
            "company": deal.company_id,
            "company_name": company.name if company else None,
            "contacts": [
                # A contact the reader may not see is there, but unnamed.
                {
                    "id": link.contact_id,
                    "name": None if getattr(link, "hidden", False) else str(link.contact),
                    "role": link.role,
                }
                for link in deal.deal_contacts.all()
            ],
            "tags": [str(tag) for tag in deal.tags],
            "custom": {str(key): value for key, value in deal.custom.items()},
            "source": deal.source,
            "utm_source": deal.utm_source,
            "utm_medium": deal.utm_medium,
            "utm_campaign": deal.utm_campaign,
            "utm_term": deal.utm_term,
            "utm_content": deal.utm_content,
            "created_at": when(deal.created_at),
            "updated_at": when(deal.updated_at),
            "stage_entered_at": when(deal.stage_entered_at),
            "closed_at": when(deal.closed_at),
            "next_activity_at": when(deal.next_activity_at),
            "last_activity_at": when(deal.last_activity_at),
            "is_rotting": deal.is_rotting,
        }

    def to_service(self) -> dict:
        data = dict(self.validated_data)
        if "contact_ids" in data:
            data["contacts"] = data.pop("contact_ids")
        return data


class MoveSerializer(serializers.Serializer):
    stage = ScopedPrimaryKeyRelatedField(Stage)
    position = serializers.FloatField(
        required=False, allow_null=True, help_text=_("Order in the column; the end if omitted.")
    )


class LostSerializer(serializers.Serializer):
    reason = ScopedPrimaryKeyRelatedField(LostReason, allow_null=True, required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)


class ReopenSerializer(serializers.Serializer):
    stage = ScopedPrimaryKeyRelatedField(
        Stage,
        allow_null=True,
        required=False,
        help_text=_("An open stage; by default the last open stage the deal was in."),
    )


class LineItemSerializer(serializers.ModelSerializer):
    deal = VisibleRelatedField(Deal, _visible_deals)
    product = ScopedPrimaryKeyRelatedField(Product, allow_null=True, required=False)
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    price = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text=_("The product's price if omitted."),
    )
    tax_rate = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        required=False,
        help_text=_("The product's tax rate if omitted."),
    )
    total = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)

    class Meta:
        model = LineItem
        fields = ["id", "deal", "product", "name", "quantity", "price", "discount", "tax_rate",
                  "position", "total"]  # fmt: skip
        read_only_fields = ["id", "position"]


class LineItemUpdateSerializer(LineItemSerializer):
    class Meta(LineItemSerializer.Meta):
        read_only_fields = ["id", "deal", "position"]


class DealContactSerializer(serializers.ModelSerializer):
    deal = VisibleRelatedField(Deal, _visible_deals)
    contact = VisibleRelatedField(Contact, contacts_for)
    contact_name = serializers.SerializerMethodField()

    class Meta:
        model = DealContact
        fields = ["id", "deal", "contact", "contact_name", "role"]
        validators = []  # the service links a contact once (and updates its role)

    def get_contact_name(self, link) -> str | None:
        """None for a contact the reader may not see (deal_contacts_for marks it)."""
        return None if getattr(link, "hidden", False) else str(link.contact)


class DealContactUpdateSerializer(DealContactSerializer):
    class Meta(DealContactSerializer.Meta):
        read_only_fields = ["deal", "contact"]


class ProductSerializer(serializers.ModelSerializer):
    currency = serializers.CharField(
        required=False, max_length=3, help_text=_("The workspace's currency if omitted.")
    )

    class Meta:
        model = Product
        fields = ["id", "name", "sku", "unit", "price", "currency", "tax_rate", "is_active"]


# --- viewsets ----------------------------------------------------------------------------

DEAL_FILTERS = [
    OpenApiParameter("pipeline", int),
    OpenApiParameter("stage", int),
    OpenApiParameter("status", enum=["open", "won", "lost"]),
    OpenApiParameter("owner", description="A user id, or `none`."),
    OpenApiParameter("mine", bool, description="Only deals the caller owns."),
    OpenApiParameter("tag", many=True, description="Every tag given (repeat the parameter)."),
    OpenApiParameter("rotting", bool, description="Open deals idle past their stage's limit."),
    OpenApiParameter("no_next_activity", bool, description="Open deals with no planned task."),
    OpenApiParameter("company", int),
    OpenApiParameter("contact", int),
    OpenApiParameter("created_after", str, description="YYYY-MM-DD"),
    OpenApiParameter("created_before", str, description="YYYY-MM-DD"),
    OpenApiParameter("close_after", str, description="Expected close on or after, YYYY-MM-DD."),
    OpenApiParameter("close_before", str, description="Expected close on or before."),
    OpenApiParameter("q", description="Part of the title."),
    OpenApiParameter(
        "ordering",
        enum=[f"{sign}{name}" for name in selectors.ORDERING_NOT_NULL for sign in ("", "-")],
        description="Newest first (-id) by default.",
    ),
]


class DealViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Deals the caller may see (their role's visibility)."""

    scope = OWNED

    serializer_class = DealSerializer
    permission_classes = [DealPermission]
    object_type = "deal"
    queryset = Deal.all_tenants.none()
    filter_backends = []  # filters and ordering come from deals.selectors

    def scoped_queryset(self, membership):
        membership = self.request.membership
        contacts = Prefetch(
            "deal_contacts",
            queryset=DealContact.objects.select_related("contact")
            .annotate(hidden=selectors.hidden_to(membership, "contact", "contact_id"))
            .order_by("id"),
        )
        # Pipelines and stages come in their own (tiny) queries rather than joins: a join
        # lets the planner start from the workspace's one pipeline and misjudge how many
        # deals it has (tenant and pipeline are not independent), sorting every deal of the
        # workspace for a page of 50 (bench/bench_deals_api.py).
        qs = (
            selectors.deals_for(membership)
            .select_related(None)
            .select_related("owner", "company", "lost_reason")
            .prefetch_related("pipeline", "stage", contacts)
        )
        if self.action == "list":
            qs = selectors.apply_filters(qs, self.request.query_params, self.request.membership)
        return qs

    @extend_schema(parameters=DEAL_FILTERS)
    def list(self, request, *args, **kwargs):
        ordering = selectors.ordering_fields(
            request.query_params.get("ordering", ""), selectors.ORDERING_NOT_NULL
        )
        self.paginator.ordering = ordering or ("-id",)
        return super().list(request, *args, **kwargs)

    def _answer(self, deal, code=status.HTTP_200_OK):
        return Response(self.get_serializer(self.get_queryset().get(pk=deal.pk)).data, status=code)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        deal = services.deal_create(actor=request.membership, data=serializer.to_service())
        return self._answer(deal, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        deal = self.get_object()
        serializer = self.get_serializer(
            deal, data=request.data, partial=kwargs.pop("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        services.deal_update(actor=request.membership, deal=deal, data=serializer.to_service())
        return self._answer(deal)

    def perform_destroy(self, instance):
        services.deal_delete(actor=self.request.membership, deal=instance)

    @extend_schema(request=MoveSerializer, responses=DealSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move the deal to a stage (and a place in its column)."""
        deal = self.get_object()
        body = MoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.deal_move(
            actor=request.membership,
            deal=deal,
            stage=body.validated_data["stage"],
            position=body.validated_data.get("position"),
        )
        return self._answer(deal)

    @extend_schema(request=None, responses=DealSerializer)
    @action(detail=True, methods=["post"])
    def won(self, request, pk=None):
        """Mark the deal won (into the funnel's won stage)."""
        deal = services.deal_won(actor=request.membership, deal=self.get_object())
        return self._answer(deal)

    @extend_schema(request=LostSerializer, responses=DealSerializer)
    @action(detail=True, methods=["post"])
    def lost(self, request, pk=None):
        """Mark the deal lost, with a reason and a note."""
        deal = self.get_object()
        body = LostSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.deal_lost(
            actor=request.membership,
            deal=deal,
            reason=body.validated_data.get("reason"),
            note=body.validated_data.get("note", ""),
        )
        return self._answer(deal)

    @extend_schema(request=ReopenSerializer, responses=DealSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """Reopen a won or lost deal."""
        deal = self.get_object()
        body = ReopenSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.deal_reopen(
            actor=request.membership, deal=deal, stage=body.validated_data.get("stage")
        )
        return self._answer(deal)


def _deal_param(request, qs):
    deal = parse_id(request.query_params.get("deal"), "deal")
    return qs if deal is None else qs.filter(deal_id=deal)


class LineItemViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Products on deals (`?deal=` for one deal's). The deal's amount follows its lines."""

    scope = OWNED

    permission_classes = [DealPartPermission]
    queryset = LineItem.all_tenants.none()
    filter_backends = []

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return LineItemUpdateSerializer
        return LineItemSerializer

    def scoped_queryset(self, membership):
        qs = selectors.line_items_for(self.request.membership)
        return _deal_param(self.request, qs) if self.action == "list" else qs

    @extend_schema(parameters=[OpenApiParameter("deal", int)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.line_item_add(
            actor=self.request.membership,
            deal=data.pop("deal"),
            product=data.get("product"),
            name=data.get("name") or None,
            quantity=data.get("quantity", 1),
            price=data.get("price"),
            discount=data.get("discount", 0),
            tax_rate=data.get("tax_rate"),
        )

    def perform_update(self, serializer):
        serializer.instance = services.line_item_update(
            actor=self.request.membership,
            item=serializer.instance,
            data=dict(serializer.validated_data),
        )

    def perform_destroy(self, instance):
        services.line_item_remove(actor=self.request.membership, item=instance)


class DealContactViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Contacts of deals, with their role in each (`?deal=` for one deal's)."""

    scope = OWNED

    permission_classes = [DealPartPermission]
    queryset = DealContact.all_tenants.none()
    filter_backends = []

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return DealContactUpdateSerializer
        return DealContactSerializer

    def scoped_queryset(self, membership):
        qs = selectors.deal_contacts_for(self.request.membership)
        return _deal_param(self.request, qs) if self.action == "list" else qs

    @extend_schema(parameters=[OpenApiParameter("deal", int)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.deal_contact_set(
            actor=self.request.membership,
            deal=data["deal"],
            contact=data["contact"],
            role=data.get("role", ""),
        )

    def perform_update(self, serializer):
        link = serializer.instance
        serializer.instance = services.deal_contact_set(
            actor=self.request.membership,
            deal=link.deal,
            contact=link.contact,
            role=serializer.validated_data.get("role", link.role),
        )

    def perform_destroy(self, instance):
        services.deal_contact_remove(
            actor=self.request.membership, deal=instance.deal, contact=instance.contact
        )


class ProductViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """The product catalogue: every member reads it, admins keep it."""

    scope = WORKSPACE

    serializer_class = ProductSerializer
    permission_classes = [ManagesWorkspaceOrReadOnly]
    queryset = Product.all_tenants.none()
    filter_backends = []

    def scoped_queryset(self, membership):
        qs = selectors.products()
        params = self.request.query_params
        if self.action == "list":
            if params.get("is_active") in ("true", "false"):
                qs = qs.filter(is_active=params["is_active"] == "true")
            q = clean_text(params.get("q"), "q", max_length=200)
            if q:
                qs = qs.filter(Q(name__icontains=q) | Q(sku__iexact=q))
        return qs

    @extend_schema(
        parameters=[
            OpenApiParameter("is_active", bool),
            OpenApiParameter("q", description="Part of the name, or the SKU."),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def perform_create(self, serializer):
        serializer.instance = services.product_save(
            actor=self.request.membership, data=dict(serializer.validated_data)
        )

    def perform_update(self, serializer):
        serializer.instance = services.product_save(
            actor=self.request.membership,
            product=serializer.instance,
            data=dict(serializer.validated_data),
        )

    def perform_destroy(self, instance):
        services.product_delete(actor=self.request.membership, product=instance)
