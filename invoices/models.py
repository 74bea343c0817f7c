"""Invoices, their lines, numbering series and counters, tax rates, the seller's requisites,
and payments with their allocations over invoices. Money is Decimal, rounded per line."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Concat, Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.tenancy.models import CURRENCIES, TenantModel, languages

ZERO = Decimal("0.00")
PERCENT = [MinValueValidator(0), MaxValueValidator(100)]


class Series(TenantModel):
    """A numbering series: its code, how a number is written, and when it starts again."""

    NEVER, YEAR, FISCAL_IN = "never", "year", "fy_in"
    PERIODS = [
        (NEVER, _("Never reset")),
        (YEAR, _("Calendar year")),
        (FISCAL_IN, _("Indian financial year (April to March)")),
    ]
    INVOICE, CREDIT_NOTE = "invoice", "credit_note"
    KINDS = [(INVOICE, _("Invoice")), (CREDIT_NOTE, _("Credit note"))]

    code = models.CharField(_("code"), max_length=16)
    kind = models.CharField(max_length=12, choices=KINDS, default=INVOICE)
    format = models.CharField(_("format"), max_length=64, default="{series}-{yyyy}-{n:05}")
    period = models.CharField(_("reset"), max_length=8, choices=PERIODS, default=YEAR)
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["code", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="series_code_unique"),
        ]

    def __str__(self):
        return self.code


class Counter(TenantModel):
    """The last number given in a series within a period ("" when it never resets, "2026"
    for a calendar year, "2026-27" for an Indian financial year). Incremented by one
    INSERT ... ON CONFLICT DO UPDATE inside the issuing transaction (numbering.py)."""

    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="counters")
    period = models.CharField(max_length=16, blank=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "series", "period"], name="counter_series_period"
            ),
        ]


class TaxRate(TenantModel):
    """A tax rate is data, valid between two dates, seeded per country (presets.py)."""

    name = models.CharField(_("name"), max_length=80)
    percent = models.DecimalField(_("percent"), max_digits=5, decimal_places=2, validators=PERCENT)
    country = models.CharField(_("country"), max_length=2, blank=True)
    # "Without VAT" is 0 % and says so on the document, unlike a 0 % rate.
    exempt = models.BooleanField(_("exempt"), default=False)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        ordering = ["country", "-percent", "id"]
        indexes = [models.Index(fields=["tenant", "country"], name="taxrate_country")]

    def __str__(self):
        return self.name

    def valid_on(self, day) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


class LegalEntity(TenantModel):
    """The workspace as a seller: what every invoice copies at issue."""

    name = models.CharField(_("legal name"), max_length=250)
    address = models.TextField(_("address"), blank=True)
    tax_id = models.CharField(_("tax number (ИНН, GSTIN)"), max_length=20, blank=True)
    kpp = models.CharField(_("КПП"), max_length=9, blank=True)
    register_number = models.CharField(_("register number"), max_length=20, blank=True)
    bank_name = models.CharField(_("bank"), max_length=200, blank=True)
    bik = models.CharField(_("БИК"), max_length=9, blank=True)
    account = models.CharField(_("account"), max_length=34, blank=True)
    corr_account = models.CharField(_("correspondent account"), max_length=20, blank=True)
    # How the workspace writes prices and tax (money.py); each draft copies them.
    prices_include_tax = models.BooleanField(_("prices include tax"), default=False)
    tax_on_total = models.BooleanField(_("tax on the total, not per line"), default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="legalentity_one")]

    def __str__(self):
        return self.name


class Invoice(TenantModel):
    DRAFT, ISSUED, CANCELLED = "draft", "issued", "cancelled"
    STATUSES = [(DRAFT, _("Draft")), (ISSUED, _("Issued")), (CANCELLED, _("Cancelled"))]
    UNPAID, PARTIAL, PAID, REFUNDED = "unpaid", "partial", "paid", "refunded"
    PAYMENT_STATUSES = [
        (UNPAID, _("Unpaid")),
        (PARTIAL, _("Partly paid")),
        (PAID, _("Paid")),
        (REFUNDED, _("Refunded")),
    ]
    GENERIC, RUSSIA, INDIA, MONGOLIA = "generic", "ru", "in", "mn"
    TEMPLATES = [
        (GENERIC, _("International")),
        (RUSSIA, _("Russia: счёт на оплату")),
        (INDIA, _("India: GST tax invoice")),
        (MONGOLIA, _("Mongolia: НӨАТ-тэй нэхэмжлэх")),
    ]

    kind = models.CharField(max_length=12, choices=Series.KINDS, default=Series.INVOICE)
    # An invoice outlives its deal: a legal document is not deleted with a sales record.
    deal = models.ForeignKey(
        "deals.Deal", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    company = models.ForeignKey(
        "contacts.Company", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact = models.ForeignKey(
        "contacts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Snapshots: what the document says, whatever happens to the records later.
    client = models.JSONField(default=dict, blank=True)
    seller = models.JSONField(default=dict, blank=True)
    series = models.ForeignKey(Series, null=True, blank=True, on_delete=models.PROTECT)
    number = models.CharField(_("number"), max_length=40, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES)
    language = models.CharField(_("language"), max_length=8, choices=languages, default="en")
    template = models.CharField(_("template"), max_length=12, choices=TEMPLATES, default=GENERIC)
    issue_date = models.DateField(_("issue date"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=STATUSES, default=DRAFT)
    payment_status = models.CharField(
        _("payment status"), max_length=10, choices=PAYMENT_STATUSES, default=UNPAID
    )
    original = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_notes"
    )
    notes = models.TextField(_("notes"), blank=True)
    # The workspace's tax settings when the draft was made: its lines are computed by them.
    prices_include_tax = models.BooleanField(_("prices include tax"), default=False)
    tax_on_total = models.BooleanField(_("tax on the total"), default=False)
    # Mongolia: the e-Barimt receipt (ДДТД) registered for this invoice, recorded after issue.
    receipt_number = models.CharField(_("e-Barimt receipt number"), max_length=64, blank=True)
    subtotal = models.DecimalField(max_digits=16, decimal_places=2, default=ZERO)
    tax_total = models.DecimalField(max_digits=16, decimal_places=2, default=ZERO)
    total = models.DecimalField(_("total"), max_digits=16, decimal_places=2, default=ZERO)
    paid_amount = models.DecimalField(max_digits=16, decimal_places=2, default=ZERO)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    issued_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # The flows around the money: the last address the invoice went to (reminders go there
    # too), the day its client page was last opened (invoice.viewed once a day) and when it
    # was found overdue (invoice.overdue once).
    sent_to = models.EmailField(blank=True)
    viewed_on = models.DateField(null=True, blank=True)
    overdue_at = models.DateTimeField(null=True, blank=True)
    # The list's search (number or client's name, in part): lower-cased, kept by the
    # database, under a trigram index, so a search over 200,000 invoices is an index scan.
    search = models.GeneratedField(
        expression=Lower(
            Concat(
                "number",
                Value("\n"),
                KeyTextTransform("name", "client"),
                output_field=models.TextField(),
            )
        ),
        output_field=models.TextField(),
        db_persist=True,
    )

    event_subject_type = "invoice"

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "series", "number"], name="invoice_series_number"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "deal"], name="invoice_deal"),
            models.Index(fields=["tenant", "-created_at", "-id"], name="invoice_created"),
            models.Index(fields=["tenant", "status", "payment_status"], name="invoice_status"),
            models.Index(fields=["tenant", "due_date"], name="invoice_due"),
            GinIndex(
                fields=["tenant", "search"],
                opclasses=["int8_ops", "gin_trgm_ops"],
                name="invoice_search",
            ),
        ]

    def __str__(self):
        return self.number or str(_("Draft invoice"))

    @property
    def due(self) -> Decimal:
        return self.total - self.paid_amount

    @property
    def is_overdue(self) -> bool:
        """Computed, never stored: issued, not fully paid, past its due date."""
        return (
            self.status == self.ISSUED
            and self.payment_status in (self.UNPAID, self.PARTIAL)
            and self.due_date is not None
            and self.due_date < timezone.localdate()
        )


class InvoiceTotal(TenantModel):
    """The invoices' count, total and paid amount per workspace and per value of the list's
    filters that have few values (currency, status, payment status, series, issue and due
    dates), so the accountant's totals over a whole workspace read a few hundred rows, not
    every invoice. Kept by a trigger on the invoices' table (migration 0005) in the
    transaction of every write to an invoice, whichever code makes it; never written from
    Python."""

    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10)
    payment_status = models.CharField(max_length=10)
    # No foreign key: a row is only a sum; series are never deleted while invoices use them.
    series_id = models.BigIntegerField(null=True)
    issue_date = models.DateField(null=True)
    due_date = models.DateField(null=True)
    invoice_count = models.BigIntegerField(default=0)
    total_sum = models.DecimalField(max_digits=20, decimal_places=2, default=ZERO)
    paid_sum = models.DecimalField(max_digits=20, decimal_places=2, default=ZERO)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "currency", "status", "payment_status", "series_id",
                        "issue_date", "due_date"],
                name="invoicetotal_key",
                nulls_distinct=False,
            ),
        ]  # fmt: skip


class InvoiceLine(TenantModel):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=0)
    name = models.CharField(_("name"), max_length=200)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    # India: the goods' HSN or the service's SAC code (4 to 8 digits).
    hsn_sac = models.CharField(_("HSN/SAC"), max_length=8, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    unit_price = models.DecimalField(_("price"), max_digits=14, decimal_places=2)
    discount = models.DecimalField(
        _("discount, %"), max_digits=5, decimal_places=2, default=ZERO, validators=PERCENT
    )
    tax_rate = models.ForeignKey(
        TaxRate, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The rate as it was when the line was written: rates are data and may change.
    tax_percent = models.DecimalField(max_digits=5, decimal_places=2, default=ZERO)
    tax_name = models.CharField(max_length=80, blank=True)
    net = models.DecimalField(max_digits=16, decimal_places=2, default=ZERO)
    tax = models.DecimalField(max_digits=16, decimal_places=2, default=ZERO)
    total = models.DecimalField(max_digits=16, decimal_places=2, default=ZERO)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["tenant", "invoice"], name="invoiceline_invoice")]


class Payment(TenantModel):
    """Money received (or paid back: a refund), spread over invoices by its allocations."""

    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES)
    is_refund = models.BooleanField(_("refund"), default=False)
    paid_on = models.DateField(_("paid on"), default=timezone.localdate)
    reference = models.CharField(_("reference"), max_length=120, blank=True)
    # Where an imported or received payment came from ("bank:<hash>", "stripe:<id>",
    # "razorpay:<id>"): unique, so the same money is never recorded twice.
    external_id = models.CharField(max_length=120, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-paid_on", "-id"]
        indexes = [models.Index(fields=["tenant", "-paid_on"], name="payment_paid_on")]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "external_id"],
                condition=~models.Q(external_id=""),
                name="payment_external_id",
            ),
        ]

    def __str__(self):
        return f"{self.amount} {self.currency}"


class Allocation(TenantModel):
    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="allocations")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations")
    amount = models.DecimalField(max_digits=16, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "payment", "invoice"], name="allocation_unique"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "invoice"], name="allocation_invoice")]


# --- the flows around the money: client page, requests, statements, providers ---------------


class ClientLink(TenantModel):
    """The client's page of an invoice: an unguessable token (`<workspace id>_<secret>`, the
    workspace first so the page finds its tenant without trusting anything else), revocable.
    One live link per invoice; regenerating revokes the old one."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="client_links")
    token = models.CharField(max_length=80)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "token"], name="clientlink_token"),
            models.UniqueConstraint(
                fields=["tenant", "invoice"],
                condition=models.Q(revoked_at__isnull=True),
                name="clientlink_one_live",
            ),
        ]

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None


class InvoiceRequest(TenantModel):
    """A manager's "ask the accountant for an invoice" on a deal: a task for the accountant,
    fulfilled by the draft made from it."""

    deal = models.ForeignKey("deals.Deal", on_delete=models.CASCADE, related_name="+")
    task = models.ForeignKey(
        "activity.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    fulfilled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "deal"], name="invoicerequest_deal")]


class StatementImport(TenantModel):
    """An uploaded bank statement (1C exchange file or CSV), its lines kept for review."""

    ONEC, CSV = "1c", "csv"
    FORMATS = [(ONEC, _("1C bank exchange")), (CSV, "CSV")]
    REVIEW, DONE = "review", "done"
    STATUSES = [(REVIEW, _("To review")), (DONE, _("Confirmed"))]

    file_name = models.CharField(max_length=200)
    format = models.CharField(max_length=4, choices=FORMATS)
    status = models.CharField(max_length=8, choices=STATUSES, default=REVIEW)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]


class StatementLine(TenantModel):
    """One incoming payment of a statement, and what it was matched to."""

    MATCHED, UNMATCHED, RECORDED, SKIPPED, DUPLICATE = (
        "matched", "unmatched", "recorded", "skipped", "duplicate",
    )  # fmt: skip
    STATES = [
        (MATCHED, _("Matched")),
        (UNMATCHED, _("Not matched")),
        (RECORDED, _("Recorded")),
        (SKIPPED, _("Skipped")),
        (DUPLICATE, _("Already recorded")),
    ]

    statement = models.ForeignKey(StatementImport, on_delete=models.CASCADE, related_name="lines")
    line_number = models.PositiveIntegerField()
    # A hash of what identifies the payment (its date, amount, payer, document number,
    # purpose): the same line in a file imported again is recognised by it.
    external_id = models.CharField(max_length=80)
    paid_on = models.DateField()
    amount = models.DecimalField(max_digits=16, decimal_places=2)
    document_number = models.CharField(max_length=40, blank=True)
    payer = models.CharField(max_length=250, blank=True)
    payer_tax_id = models.CharField(max_length=20, blank=True)
    purpose = models.TextField(blank=True)
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    match_reason = models.CharField(max_length=20, blank=True)
    state = models.CharField(max_length=10, choices=STATES, default=UNMATCHED)
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["line_number", "id"]
        indexes = [
            models.Index(fields=["tenant", "statement"], name="statementline_statement"),
            models.Index(fields=["tenant", "external_id"], name="statementline_external"),
        ]


class ProviderSettings(TenantModel):
    """The workspace's payment providers: the webhook token (`<workspace id>_<secret>`, in
    the URL: the tenant comes from it, never from the body) and each provider's signing
    secret, encrypted at rest (invoices/crypto.py)."""

    webhook_token = models.CharField(max_length=80)
    stripe_secret = models.TextField(blank=True)
    razorpay_secret = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="providersettings_one"),
            models.UniqueConstraint(
                fields=["tenant", "webhook_token"], name="providersettings_token"
            ),
        ]


class ProviderEvent(TenantModel):
    """A provider's webhook event, stored once per its id: a redelivery finds its row and
    records nothing again."""

    STRIPE, RAZORPAY = "stripe", "razorpay"
    PROVIDERS = [(STRIPE, "Stripe"), (RAZORPAY, "Razorpay")]

    provider = models.CharField(max_length=10, choices=PROVIDERS)
    event_id = models.CharField(max_length=120)
    type = models.CharField(max_length=60)
    received_at = models.DateTimeField(default=timezone.now)
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "provider", "event_id"], name="providerevent_unique"
            ),
        ]
