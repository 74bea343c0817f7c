"""API of invoices and payments (the contract in README.md).

Reads go through invoices.selectors (deal visibility and the role's rights on "invoice"),
writes through invoices.services. Another workspace's id, or a colleague's invoice the
member may not see, answers 404 in a URL and "does not exist" in a body.
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from crm.api.fields import IdField
from crm.api.parsers import SafeJSONParser
from crm.api.permissions import IsTenantMember
from crm.api.viewsets import OWNED, ScopedViewSetMixin
from deals.selectors import deals_for

from . import flows, pdf, selectors, services
from .models import Invoice, InvoiceLine, InvoiceRequest, Payment, StatementImport, StatementLine


class ConflictError(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = _("The invoice is not in a state that allows this.")


class InvoicePermission(IsTenantMember):
    """Reading needs view on invoices; creating (a draft, a credit note) create; anything
    else that changes an invoice (issue, cancel, lines, payments) edit."""

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if request.method in ("GET", "HEAD", "OPTIONS"):
            needed = "view"
        elif getattr(view, "action", None) in ("create", "credit_note") and isinstance(
            view, InvoiceViewSet
        ):
            needed = "create"
        else:
            needed = "edit"
        return request.membership.can("invoice", needed)


class LineSerializer(serializers.ModelSerializer):
    tax_rate = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = InvoiceLine
        fields = ["id", "position", "name", "unit", "hsn_sac", "quantity", "unit_price",
                  "discount", "tax_rate", "tax_name", "tax_percent", "net", "tax",
                  "total"]  # fmt: skip
        read_only_fields = fields


class InvoiceSerializer(serializers.ModelSerializer):
    lines = LineSerializer(many=True, read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)
    due = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)

    class Meta:
        model = Invoice
        fields = ["id", "kind", "number", "status", "payment_status", "is_overdue", "deal",
                  "company", "contact", "client", "seller", "currency", "language", "template",
                  "issue_date", "due_date", "original", "notes", "prices_include_tax",
                  "tax_on_total", "receipt_number", "subtotal", "tax_total", "total",
                  "paid_amount", "due", "lines", "created_at", "issued_at"]  # fmt: skip
        read_only_fields = fields


class InvoiceCreateSerializer(serializers.Serializer):
    deal = IdField()
    language = serializers.CharField(required=False, max_length=8)
    due_date = serializers.DateField(required=False)


class InvoiceUpdateSerializer(serializers.Serializer):
    due_date = serializers.DateField(required=False)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    language = serializers.CharField(required=False, max_length=8)
    currency = serializers.CharField(required=False, max_length=3)
    template = serializers.CharField(required=False, max_length=12)
    # The client's requisites as the document prints them (the `client` object's keys),
    # checked by the rules of the template's country: an invalid ИНН is a 400 on its field.
    client_name = serializers.CharField(required=False, allow_blank=True, max_length=250)
    client_tax_id = serializers.CharField(required=False, allow_blank=True, max_length=20)
    client_kpp = serializers.CharField(required=False, allow_blank=True, max_length=20)
    client_register_number = serializers.CharField(required=False, allow_blank=True, max_length=20)
    client_state = serializers.CharField(required=False, allow_blank=True, max_length=2)
    client_address = serializers.CharField(required=False, allow_blank=True, max_length=1000)


class ReceiptSerializer(serializers.Serializer):
    receipt_number = serializers.CharField(
        allow_blank=True, max_length=100, help_text=_("The e-Barimt receipt number (ДДТД).")
    )


class LineInputSerializer(serializers.Serializer):
    """Checked by the service, which says clearly what is wrong (negative quantity...)."""

    name = serializers.CharField(max_length=200, allow_blank=True, required=False)
    unit = serializers.CharField(max_length=20, allow_blank=True, required=False)
    hsn_sac = serializers.CharField(max_length=20, allow_blank=True, required=False)
    quantity = serializers.CharField(max_length=30, required=False)
    unit_price = serializers.CharField(max_length=30, required=False)
    discount = serializers.CharField(max_length=30, required=False)
    tax_rate = IdField(required=False, allow_null=True)


class SendSerializer(serializers.Serializer):
    to = serializers.CharField(max_length=254, help_text=_("The client's email address."))


class ClientLinkSerializer(serializers.Serializer):
    url = serializers.CharField(read_only=True)
    token = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class RemindSerializer(serializers.Serializer):
    invoices = serializers.ListField(child=IdField(), min_length=1, max_length=500)


class InvoiceViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Invoices of the deals the caller may see. Drafts change; issued ones do not."""

    scope = OWNED

    serializer_class = InvoiceSerializer
    permission_classes = [InvoicePermission]
    queryset = Invoice.all_tenants.none()
    filter_backends = []

    def scoped_queryset(self, membership):
        qs = selectors.invoices_for(membership).prefetch_related("lines")
        if self.action == "list":
            qs = selectors.apply_filters(qs, self.request.query_params)
        return qs

    @extend_schema(
        parameters=[
            OpenApiParameter("status", enum=["draft", "issued", "cancelled"]),
            OpenApiParameter("payment_status", enum=["unpaid", "partial", "paid", "refunded"]),
            OpenApiParameter("overdue", bool),
            OpenApiParameter("deal", int),
            OpenApiParameter("owner", int, description="The deal's manager (a user id)."),
            OpenApiParameter("issued_after", str, description="YYYY-MM-DD"),
            OpenApiParameter("issued_before", str, description="YYYY-MM-DD"),
            OpenApiParameter("currency", str),
            OpenApiParameter("q", description="Part of the number or the client's name."),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _answer(self, invoice, code=status.HTTP_200_OK):
        fresh = self.scoped_queryset(self.request.membership).get(pk=invoice.pk)
        return Response(InvoiceSerializer(fresh).data, status=code)

    def _run(self, call):
        try:
            return call()
        except services.Conflict as exc:
            raise ConflictError(" ".join(exc.messages)) from None

    @extend_schema(request=InvoiceCreateSerializer, responses=InvoiceSerializer)
    def create(self, request, *args, **kwargs):
        body = InvoiceCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        invoice = services.invoice_create_from_deal(
            actor=request.membership,
            deal=data["deal"],
            language=data.get("language", ""),
            due_date=data.get("due_date"),
        )
        return self._answer(invoice, status.HTTP_201_CREATED)

    @extend_schema(request=InvoiceUpdateSerializer, responses=InvoiceSerializer)
    def update(self, request, *args, **kwargs):
        invoice = self.get_object()
        body = InvoiceUpdateSerializer(data=request.data, partial=kwargs.get("partial", False))
        body.is_valid(raise_exception=True)
        self._run(
            lambda: services.invoice_update(
                actor=request.membership, invoice=invoice, data=dict(body.validated_data)
            )
        )
        return self._answer(invoice)

    @extend_schema(request=LineInputSerializer, responses=InvoiceSerializer)
    @action(detail=True, methods=["post"])
    def lines(self, request, pk=None):
        """Add a line to a draft."""
        invoice = self.get_object()
        body = LineInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        self._run(
            lambda: services.line_add(
                actor=request.membership, invoice=invoice, data=dict(body.validated_data)
            )
        )
        return self._answer(invoice)

    @extend_schema(request=LineInputSerializer, responses=InvoiceSerializer)
    @action(detail=True, methods=["patch", "delete"], url_path=r"lines/(?P<line_id>[0-9]{1,18})")
    def line(self, request, pk=None, line_id=None):
        """Change (PATCH) or remove (DELETE) one line of a draft."""
        invoice = self.get_object()
        line_id = int(line_id)
        if request.method == "DELETE":
            self._run(
                lambda: services.line_remove(
                    actor=request.membership, invoice=invoice, line_id=line_id
                )
            )
            return self._answer(invoice)
        body = LineInputSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        self._run(
            lambda: services.line_update(
                actor=request.membership,
                invoice=invoice,
                line_id=line_id,
                data=dict(body.validated_data),
            )
        )
        return self._answer(invoice)

    @extend_schema(request=None, responses=InvoiceSerializer)
    @action(detail=True, methods=["post"])
    def issue(self, request, pk=None):
        """Give the draft its number and freeze it; a second issue is a 409."""
        invoice = self.get_object()
        self._run(lambda: services.invoice_issue(actor=request.membership, invoice=invoice))
        return self._answer(invoice)

    @extend_schema(request=SendSerializer, responses=InvoiceSerializer)
    @action(detail=True, methods=["post"])
    def send(self, request, pk=None):
        """Email the issued invoice with its PDF to `to`."""
        invoice = self.get_object()
        body = SendSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        self._run(
            lambda: services.invoice_send(
                actor=request.membership, invoice=invoice, to=body.validated_data["to"]
            )
        )
        return self._answer(invoice)

    @extend_schema(request=None, responses=InvoiceSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        invoice = self.get_object()
        self._run(lambda: services.invoice_cancel(actor=request.membership, invoice=invoice))
        return self._answer(invoice)

    @extend_schema(request=None, responses=InvoiceSerializer)
    @action(detail=True, methods=["post"], url_path="credit-note")
    def credit_note(self, request, pk=None):
        """A draft credit note referring to this issued invoice."""
        invoice = self.get_object()
        note = self._run(
            lambda: services.credit_note_create(actor=request.membership, invoice=invoice)
        )
        return self._answer(note, status.HTTP_201_CREATED)

    @extend_schema(request=ReceiptSerializer, responses=InvoiceSerializer)
    @action(detail=True, methods=["post"])
    def receipt(self, request, pk=None):
        """Mongolia: record (or clear, with "") the e-Barimt receipt number of an issued
        invoice."""
        invoice = self.get_object()
        body = ReceiptSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        self._run(
            lambda: services.receipt_set(
                actor=request.membership,
                invoice=invoice,
                receipt_number=body.validated_data["receipt_number"],
            )
        )
        return self._answer(invoice)

    @extend_schema(request=None, responses={201: ClientLinkSerializer, 204: None})
    @action(detail=True, methods=["post", "delete"], url_path="client-link")
    def client_link(self, request, pk=None):
        """POST: a new link to the client's page (a live one stops working); DELETE: revoke."""
        invoice = self.get_object()
        if request.method == "DELETE":
            self._run(lambda: flows.client_link_revoke(actor=request.membership, invoice=invoice))
            return Response(status=status.HTTP_204_NO_CONTENT)
        link = self._run(lambda: flows.client_link_create(actor=request.membership,
                                                          invoice=invoice))  # fmt: skip
        return Response(
            {"url": flows.client_url(link), "token": link.token, "created_at": link.created_at},
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=RemindSerializer, responses=dict)
    @action(detail=False, methods=["post"])
    def remind(self, request):
        """Email a reminder (PDF and client page link) for each unpaid issued invoice, to the
        address it was sent to: {"sent": [ids], "skipped": [{"id", "number", "reason"}]}."""
        body = RemindSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        sent, skipped = flows.reminders_send(
            actor=request.membership, invoices=body.validated_data["invoices"]
        )
        return Response({
            "sent": [i.pk for i in sent],
            "skipped": [{"id": i.pk, "number": i.number, "reason": str(why)} for i, why in skipped],
        })  # fmt: skip

    @extend_schema(responses={(200, "application/pdf"): bytes})
    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        invoice = self.get_object()
        response = HttpResponse(pdf.render(invoice), content_type="application/pdf")
        name = invoice.number or f"draft-{invoice.pk}"
        response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
        return response


class AllocationSerializer(serializers.Serializer):
    invoice = IdField()
    amount = serializers.CharField(max_length=30)


class PaymentSerializer(serializers.ModelSerializer):
    allocations = serializers.SerializerMethodField()

    class Meta:
        model = Payment
        fields = ["id", "amount", "currency", "is_refund", "paid_on", "reference",
                  "allocations", "created_at"]  # fmt: skip
        read_only_fields = fields

    def get_allocations(self, payment) -> list[dict]:
        return [
            {"invoice": a.invoice_id, "amount": str(a.amount)} for a in payment.allocations.all()
        ]


class PaymentCreateSerializer(serializers.Serializer):
    """One invoice (`invoice` and `amount`), or several (`allocations`)."""

    invoice = IdField(required=False)
    amount = serializers.CharField(max_length=30, required=False)
    allocations = AllocationSerializer(many=True, required=False)
    paid_on = serializers.DateField(required=False)
    reference = serializers.CharField(max_length=120, required=False, allow_blank=True)
    refund = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs):
        if attrs.get("allocations"):
            return attrs
        if "invoice" not in attrs or "amount" not in attrs:
            raise serializers.ValidationError(
                {"invoice": [_("Give an invoice and an amount, or allocations.")]}
            )
        attrs["allocations"] = [{"invoice": attrs["invoice"], "amount": attrs["amount"]}]
        return attrs


class PaymentViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Payments over invoices the caller may see; recording one moves their payment status."""

    scope = OWNED

    serializer_class = PaymentSerializer
    permission_classes = [InvoicePermission]
    queryset = Payment.all_tenants.none()
    filter_backends = []

    def scoped_queryset(self, membership):
        return selectors.payments_for(membership).prefetch_related("allocations")

    @extend_schema(request=PaymentCreateSerializer, responses=PaymentSerializer)
    def create(self, request, *args, **kwargs):
        body = PaymentCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        membership = request.membership
        visible = selectors.invoices_for(membership)
        pairs = []
        for row in data["allocations"]:
            invoice = visible.filter(pk=row["invoice"]).first()
            if invoice is None:
                raise serializers.ValidationError({"invoice": [_("This invoice does not exist.")]})
            pairs.append((invoice, row["amount"]))
        payment = services.payment_record(
            actor=membership,
            allocations=pairs,
            paid_on=data.get("paid_on"),
            reference=data.get("reference", ""),
            refund=data.get("refund", False),
        )
        fresh = self.scoped_queryset(membership).get(pk=payment.pk)
        return Response(PaymentSerializer(fresh).data, status=status.HTTP_201_CREATED)


# --- bank statements --------------------------------------------------------------------------


class StatementLineSerializer(serializers.ModelSerializer):
    invoice_number = serializers.CharField(source="invoice.number", default=None, read_only=True)

    class Meta:
        model = StatementLine
        fields = ["id", "line_number", "paid_on", "amount", "document_number", "payer",
                  "payer_tax_id", "purpose", "state", "invoice", "invoice_number",
                  "match_reason", "payment"]  # fmt: skip
        read_only_fields = fields


class StatementSerializer(serializers.ModelSerializer):
    lines = StatementLineSerializer(many=True, read_only=True)

    class Meta:
        model = StatementImport
        fields = ["id", "file_name", "format", "status", "created_at", "lines"]
        read_only_fields = fields


class StatementUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("A 1C exchange file (Windows-1251) or a CSV."))


class ConfirmLineSerializer(serializers.Serializer):
    line = serializers.IntegerField(min_value=1)
    invoice = IdField(allow_null=True)


class ConfirmSerializer(serializers.Serializer):
    lines = ConfirmLineSerializer(many=True, required=False)


class StatementViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Bank statements: upload (multipart `file`), review the matches, confirm. Lines not
    named in a confirmation keep their match (matched: recorded; unmatched: skipped); a
    line named with `"invoice": null` is skipped."""

    scope = OWNED
    serializer_class = StatementSerializer
    permission_classes = [InvoicePermission]
    queryset = StatementImport.all_tenants.none()
    filter_backends = []
    parser_classes = [MultiPartParser, FormParser, SafeJSONParser]

    def scoped_queryset(self, membership):
        return selectors.statements_for(membership).prefetch_related(
            Prefetch("lines", StatementLine.objects.select_related("invoice"))
        )

    @extend_schema(request={"multipart/form-data": StatementUploadSerializer},
                   responses=StatementSerializer)  # fmt: skip
    def create(self, request, *args, **kwargs):
        body = StatementUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload = body.validated_data["file"]
        if upload.size > 10 * 1024 * 1024:
            raise serializers.ValidationError({"file": [_("The file is larger than 10 MB.")]})
        found = flows.statement_import(actor=request.membership, name=upload.name,
                                       raw=upload.read())  # fmt: skip
        fresh = self.scoped_queryset(request.membership).get(pk=found.pk)
        return Response(StatementSerializer(fresh).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ConfirmSerializer, responses=StatementSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        statement = self.get_object()
        body = ConfirmSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        choices = {row["line"]: row["invoice"] for row in body.validated_data.get("lines", [])}
        visible = selectors.invoices_for(request.membership)
        for line_id, invoice in choices.items():
            if invoice is not None and not visible.filter(pk=invoice).exists():
                raise serializers.ValidationError(
                    {"lines": {line_id: [_("This invoice does not exist.")]}}
                )
        try:
            flows.statement_confirm(actor=request.membership, statement=statement,
                                    choices=choices)  # fmt: skip
        except flows.LinesRefused as exc:
            raise serializers.ValidationError(
                {"lines": {pk: [str(why)] for pk, why in exc.lines.items()}}
            ) from None
        except services.Conflict as exc:
            raise ConflictError(" ".join(exc.messages)) from None
        fresh = self.scoped_queryset(request.membership).get(pk=statement.pk)
        return Response(StatementSerializer(fresh).data)


# --- asking the accountant ---------------------------------------------------------------------


class InvoiceRequestSerializer(serializers.ModelSerializer):
    class Meta:
        model = InvoiceRequest
        fields = ["id", "deal", "task", "requested_by", "assignee", "note", "invoice",
                  "created_at", "fulfilled_at"]  # fmt: skip
        read_only_fields = fields


class InvoiceRequestCreateSerializer(serializers.Serializer):
    deal = IdField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class InvoiceRequestViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Requests for an invoice on a deal: any member who sees the deal may ask; `fulfil`
    (a role that creates invoices) makes the draft."""

    scope = OWNED
    serializer_class = InvoiceRequestSerializer
    queryset = InvoiceRequest.all_tenants.none()
    filter_backends = []

    def scoped_queryset(self, membership):
        return InvoiceRequest.objects.filter(deal__in=deals_for(membership).values("pk"))

    @extend_schema(request=InvoiceRequestCreateSerializer, responses=InvoiceRequestSerializer)
    def create(self, request, *args, **kwargs):
        body = InvoiceRequestCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        deal = deals_for(request.membership).filter(pk=body.validated_data["deal"]).first()
        if deal is None:
            raise serializers.ValidationError({"deal": [_("This deal does not exist.")]})
        try:
            found = flows.invoice_request(actor=request.membership, deal=deal,
                                          note=body.validated_data.get("note", ""))  # fmt: skip
        except services.Conflict as exc:
            raise ConflictError(" ".join(exc.messages)) from None
        return Response(InvoiceRequestSerializer(found).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=InvoiceSerializer)
    @action(detail=True, methods=["post"])
    def fulfil(self, request, pk=None):
        found = self.get_object()
        try:
            invoice = flows.invoice_request_fulfil(actor=request.membership, request=found)
        except services.Conflict as exc:
            raise ConflictError(" ".join(exc.messages)) from None
        fresh = (
            selectors.invoices_for(request.membership).prefetch_related("lines").get(pk=invoice.pk)
        )
        return Response(InvoiceSerializer(fresh).data, status=status.HTTP_201_CREATED)
