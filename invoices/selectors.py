"""Reads of invoices and payments. `invoices_for(membership)` is the only way to invoices:
the role's rights on "invoice" and, through the deal, the deal's visibility."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Case, CharField, Count, F, Q, QuerySet, Sum, Value, When
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.accounts.models import Membership
from crm.accounts.permissions import ALL
from crm.accounts.selectors import visible_to
from crm.web.params import clean_text, parse_date, parse_id
from deals.selectors import deals_for

from .models import (
    Allocation,
    Invoice,
    InvoiceTotal,
    Payment,
    Series,
    StatementImport,
    TaxRate,
)

# Where a payment came from, by the prefix of its `external_id` (none: recorded by hand).
PAYMENT_SOURCES = ("bank", "stripe", "razorpay")


def invoices_for(membership: Membership) -> QuerySet[Invoice]:
    """Invoices of deals the member may see, within their role's visibility of invoices
    (an invoice's "owner" is its deal's). An invoice whose deal was deleted is seen only by
    roles that see every invoice."""
    qs = visible_to(
        Invoice.objects.select_related("deal", "series"), membership, "invoice", "deal__owner"
    )
    if sees_every_invoice(membership):
        # Every invoice, and every deal is visible: the deal condition would hold for each
        # row, and over 200,000 invoices its semi-join costs the accountant's list its speed.
        return qs
    role = membership.role
    of_visible_deals = Q(deal__in=deals_for(membership).values("pk"))
    if role.visibility("invoice") == ALL:
        of_visible_deals |= Q(deal=None)
    return qs.filter(of_visible_deals)


def sees_every_invoice(membership: Membership) -> bool:
    role = membership.role
    return (
        role.can("invoice")
        and role.visibility("invoice") == ALL
        and role.can("deal")
        and role.visibility("deal") == ALL
    )


def overdue_q() -> Q:
    return Q(
        status=Invoice.ISSUED,
        payment_status__in=(Invoice.UNPAID, Invoice.PARTIAL),
        due_date__lt=timezone.localdate(),
    )


def payments_for(membership: Membership) -> QuerySet[Payment]:
    """Payments all of whose invoices the member may see (a payment over a colleague's
    invoice too stays hidden: its amount says something of that invoice)."""
    hidden = Allocation.objects.exclude(invoice__in=invoices_for(membership).values("pk"))
    if not membership.can("invoice"):
        return Payment.objects.none()
    return Payment.objects.exclude(pk__in=hidden.values("payment_id")).filter(
        pk__in=Allocation.objects.values("payment_id")
    )


def payment_rows(membership: Membership) -> QuerySet[Allocation]:
    """Payments as reports read them: one row per payment's share of an invoice (a payment
    over two invoices is two rows), of the invoices the member may see; a row says nothing
    of the payment's other invoices. `amount` is the share, negative for a refund; `method`
    where the money came from (by hand, a bank statement, a payment provider)."""
    if not membership.can("invoice"):
        return Allocation.objects.none()
    qs = Allocation.objects.all()
    if not sees_every_invoice(membership):
        qs = qs.filter(invoice__in=invoices_for(membership).values("pk"))
    external = "payment__external_id"
    method = Case(
        When(**{external: ""}, then=Value("manual")),
        *[When(**{f"{external}__startswith": f"{m}:"}, then=Value(m)) for m in PAYMENT_SOURCES],
        default=Value("other"),
        output_field=CharField(),
    )
    signed = Case(When(payment__is_refund=True, then=-F("amount")), default=F("amount"))
    return qs.alias(
        signed_amount=signed, method=method, client_name=KeyTextTransform("name", "invoice__client")
    )


def tax_rates(day=None) -> QuerySet[TaxRate]:
    day = day or timezone.localdate()
    return TaxRate.objects.filter(
        Q(valid_from=None) | Q(valid_from__lte=day), Q(valid_to=None) | Q(valid_to__gte=day)
    )


def series(kind: str = Series.INVOICE) -> QuerySet[Series]:
    return Series.objects.filter(kind=kind)


FILTERS = ("status", "payment_status", "overdue", "deal", "owner", "currency",
           "issued_after", "issued_before", "due_after", "due_before", "series", "company",
           "contact", "q")  # fmt: skip


def apply_filters(qs: QuerySet[Invoice], params) -> QuerySet[Invoice]:
    """The accountant's filters, from query parameters; bad values raise ValidationError."""
    status = params.get("status")
    if status:
        if status not in dict(Invoice.STATUSES):
            raise ValidationError({"status": [_("Choose draft, issued or cancelled.")]})
        qs = qs.filter(status=status)
    paid = params.get("payment_status")
    if paid:
        if paid not in dict(Invoice.PAYMENT_STATUSES):
            raise ValidationError(
                {"payment_status": [_("Choose unpaid, partial, paid or refunded.")]}
            )
        qs = qs.filter(payment_status=paid)
    if str(params.get("overdue", "")).lower() in ("1", "true", "yes", "on"):
        qs = qs.filter(overdue_q())
    deal = parse_id(params.get("deal"), "deal")
    if deal is not None:
        qs = qs.filter(deal_id=deal)
    owner = parse_id(params.get("owner"), "owner")  # the deal's manager
    if owner is not None:
        qs = qs.filter(deal__owner_id=owner)
    currency = params.get("currency")
    if currency:
        qs = qs.filter(currency=clean_text(currency, "currency", max_length=3).upper())
    series_id = parse_id(params.get("series"), "series")
    if series_id is not None:
        qs = qs.filter(series_id=series_id)
    for name in ("company", "contact"):  # the client
        value = parse_id(params.get(name), name)
        if value is not None:
            qs = qs.filter(**{f"{name}_id": value})
    for name, lookup in (
        ("issued_after", "issue_date__gte"),
        ("issued_before", "issue_date__lte"),
        ("due_after", "due_date__gte"),
        ("due_before", "due_date__lte"),
    ):
        value = parse_date(params.get(name), name)
        if value is not None:
            qs = qs.filter(**{lookup: value})
    q = clean_text(params.get("q"), "q", max_length=100)
    if q:
        qs = qs.filter(search__contains=q.lower())  # the number or the client's name
    return qs


def totals_by_currency(qs: QuerySet[Invoice]) -> list[dict]:
    """[{currency, count, total, paid, due}] of the invoices in `qs`: one query."""
    rows = (
        qs.order_by()
        .values("currency")
        .annotate(count=Count("id"), total=Sum("total"), paid=Sum("paid_amount"))
        .order_by("currency")
    )
    return _with_due(rows)


# The filters InvoiceTotal has columns for (under the invoice's own field names, so
# apply_filters reads them as it reads invoices). The others (a deal, its manager, a
# client, a search) select few invoices, which the plain aggregate sums quickly.
KEPT_FILTERS = {"status", "payment_status", "overdue", "currency", "series", "issued_after",
                "issued_before", "due_after", "due_before"}  # fmt: skip


def list_totals(membership: Membership, params, qs: QuerySet[Invoice]) -> list[dict]:
    """The accountant's totals of `qs` (apply_filters(invoices_for(membership), params)), as
    totals_by_currency(qs) gives them, one query either way: from the kept totals when the
    member sees every invoice and only KEPT_FILTERS are set (a workspace's whole list: a
    few hundred rows instead of every invoice), else the plain aggregate."""
    filtered = {name for name in FILTERS if str(params.get(name) or "").strip()}
    if not sees_every_invoice(membership) or filtered - KEPT_FILTERS:
        return totals_by_currency(qs)
    rows = (
        apply_filters(InvoiceTotal.objects.all(), params)
        .values("currency")
        .annotate(count=Sum("invoice_count"), total=Sum("total_sum"), paid=Sum("paid_sum"))
        .filter(count__gt=0)
        .order_by("currency")
    )
    return _with_due(rows)


def _with_due(rows) -> list[dict]:
    return [
        {**row, "due": (row["total"] or Decimal(0)) - (row["paid"] or Decimal(0))} for row in rows
    ]


def statements_for(membership: Membership) -> QuerySet[StatementImport]:
    """Bank statements: a role that sees every invoice sees every import; others only their
    own (an import's lines name payers and amounts of the whole account)."""
    if not membership.can("invoice", "edit"):
        return StatementImport.objects.none()
    qs = StatementImport.objects.all()
    if membership.role.visibility("invoice") != ALL:
        qs = qs.filter(created_by_id=membership.user_id)
    return qs
