"""Every write to invoices: drafts from deals, their lines, issue (with its gapless number),
cancel, credit notes, payments; and a new workspace's series and tax rates.

Keyword-only, the acting membership first, one transaction each, an event for each change.
An invoice passed in is looked up again through `selectors.invoices_for(actor)` and locked:
one the actor cannot see cannot be changed, whoever found it. Deals and their products are
read through deals.selectors only.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import after_commit
from crm.accounts.models import Membership
from crm.activity.events import emit
from crm.tenancy.models import CURRENCIES
from deals import selectors as deal_selectors
from deals.models import Deal

from . import numbering, presets, requisites, selectors, tasks
from .models import Allocation, Invoice, InvoiceLine, LegalEntity, Payment, Series, TaxRate
from .money import cents, invoice_amounts, percent_text

DEFAULT_DUE_DAYS = 14
LANGUAGES = ("en", "ru", "mn", "ta", "te")
MAX_QUANTITY = Decimal("999999999.999")
MAX_PRICE = Decimal("999999999999.99")


class Conflict(ValidationError):
    """The invoice is not in a state that allows this (issued twice, edited after issue)."""


def require(actor: Membership, action: str) -> None:
    if not actor.can("invoice", action):
        raise PermissionDenied(_("Your role does not allow this."))


def _visible(actor: Membership, invoice: Invoice | int) -> Invoice:
    pk = invoice.pk if isinstance(invoice, Invoice) else invoice
    found = selectors.invoices_for(actor).select_for_update(of=("self",)).filter(pk=pk).first()
    if found is None:
        raise PermissionDenied(_("You cannot see this invoice."))
    return found


def _decimal(value, field: str) -> Decimal:
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("Enter a number.")}) from None
    if not number.is_finite():
        raise ValidationError({field: _("Enter a number.")})
    return number


def _currency(value: str) -> str:
    if value not in dict(CURRENCIES):
        raise ValidationError(
            {"currency": _("%(c)s is not a currency this workspace uses.") % {"c": value}}
        )
    return value


def _payload(invoice: Invoice) -> dict:
    return {
        "number": invoice.number,
        "total": str(invoice.total),
        "currency": invoice.currency,
        "deal": invoice.deal_id,
    }


def _related(invoice: Invoice) -> list:
    # The deal's reference is all an event needs: no query for a deal not loaded.
    return [Deal(pk=invoice.deal_id)] if invoice.deal_id else []


# --- a new workspace -------------------------------------------------------------------


def default_series(kind: str = Series.INVOICE, country: str = "") -> Series:
    """The workspace's default series of `kind`, made on first use (workspaces older than
    invoices have none)."""
    found = Series.objects.filter(kind=kind, is_default=True).first()
    if found is not None:
        return found
    if kind == Series.CREDIT_NOTE:
        code, fmt, period = presets.CREDIT_NOTE_SERIES
    else:
        code, fmt, period = presets.SERIES.get(country, presets.DEFAULT_SERIES)
    series, _created = Series.objects.get_or_create(
        code=code, defaults={"kind": kind, "format": fmt, "period": period, "is_default": True}
    )
    return series


def tax_presets_load(country: str) -> list[TaxRate]:
    """The country's preset rates, those the workspace does not have yet."""
    have = set(TaxRate.objects.filter(country=country).values_list("name", flat=True))
    rows = [
        TaxRate(
            name=name, percent=percent, country=country, exempt=exempt, valid_from=start,
            valid_to=end,
        )
        for name, percent, exempt, start, end in presets.TAX_RATES.get(country, ())
        if name not in have
    ]  # fmt: skip
    return TaxRate.objects.bulk_create(rows)


def workspace_setup(owner_membership: Membership) -> None:
    """A new workspace's invoice series and its country's tax rates (initialisers)."""
    country = owner_membership.tenant.country
    default_series(Series.INVOICE, country)
    default_series(Series.CREDIT_NOTE, country)
    tax_presets_load(country)


SELLER_FIELDS = ("name", "address", "tax_id", "kpp", "register_number", "bank_name", "bik",
                 "account", "corr_account")  # fmt: skip


@transaction.atomic
def seller_save(*, actor: Membership, data: dict) -> LegalEntity:
    """The workspace's requisites as a seller, checked by its country's rules; invoices
    copy them when they are issued."""
    if not actor.role.can_manage_workspace:
        raise PermissionDenied(_("Your role does not allow this."))
    clean = {f: str(data.get(f) or "").strip() for f in SELLER_FIELDS}
    if not clean["name"]:
        raise ValidationError({"name": _("Name the seller.")})
    requisites.check_seller(clean, actor.tenant.country)
    entity = LegalEntity.objects.select_for_update().first() or LegalEntity()
    for field, value in clean.items():
        setattr(entity, field, value)
    entity.full_clean(exclude=["tenant"])
    entity.save()
    return entity


# --- drafts --------------------------------------------------------------------------------


def _client_of(actor: Membership, deal) -> tuple[dict, object, object]:
    """(snapshot, company, contact): the deal's company if the actor may see it, else its
    first contact the actor may see; what the document names, copied."""
    company = deal.company_shown
    if company is not None:
        return (
            _client_snapshot(
                name=company.legal_name or company.name,
                tax_id=company.tax_number,
                address=company.address,
            ),
            company,
            None,
        )
    link = (
        deal_selectors.deal_contacts_for(actor)
        .filter(deal_id=deal.pk, hidden=False)
        .order_by("id")
        .first()
    )
    if link is not None:
        return _client_snapshot(name=str(link.contact)), None, link.contact
    return _client_snapshot(), None, None


def _client_snapshot(**given) -> dict:
    """Every requisite a template may print, empty unless given: the draft form edits them."""
    return {field: str(given.get(field) or "").strip() for field in requisites.CLIENT_FIELDS}


def _seller(tenant) -> dict:
    entity = LegalEntity.objects.first()
    if entity is None:
        return {"name": tenant.name}
    return {
        field: getattr(entity, field)
        for field in ("name", "address", "tax_id", "kpp", "register_number", "bank_name", "bik",
                      "account", "corr_account")
    }  # fmt: skip


def _rate_for(percent: Decimal, day) -> TaxRate | None:
    """The workspace's rate of that percent valid on `day` (a taxed rate before an exempt
    one), for a deal's line that carries a bare percent."""
    return (
        selectors.tax_rates(day).filter(percent=percent).order_by("exempt", "id").first()
        if percent
        else None
    )


def _recompute(invoice: Invoice) -> None:
    """Every line's net, tax and total again, by the invoice's tax settings (with tax on the
    total, a line's share depends on the others), then the invoice's totals."""
    lines = list(invoice.lines.order_by("position", "id"))
    rows = [(line.quantity, line.unit_price, line.discount, line.tax_percent) for line in lines]
    amounts = invoice_amounts(
        rows, include_tax=invoice.prices_include_tax, tax_on_total=invoice.tax_on_total
    )
    changed = []
    for line, (net, tax, total) in zip(lines, amounts, strict=True):
        if (line.net, line.tax, line.total) != (net, tax, total):
            line.net, line.tax, line.total = net, tax, total
            changed.append(line)
    InvoiceLine.objects.bulk_update(changed, ["net", "tax", "total"])
    _totals(invoice)


def _totals(invoice: Invoice) -> None:
    sums = invoice.lines.aggregate(net=Sum("net"), tax=Sum("tax"), total=Sum("total"))
    invoice.subtotal = sums["net"] or Decimal("0.00")
    invoice.tax_total = sums["tax"] or Decimal("0.00")
    invoice.total = sums["total"] or Decimal("0.00")


@transaction.atomic
def invoice_create_from_deal(
    *, actor: Membership, deal, language: str = "", due_date=None
) -> Invoice:
    """A draft for the deal: its client, the seller, its currency and its products."""
    require(actor, "create")
    deal = deal_selectors.deals_for(actor).filter(pk=getattr(deal, "pk", deal)).first()
    if deal is None:
        raise ValidationError({"deal": _("This deal does not exist.")})
    tenant = actor.tenant
    today = timezone.localdate()
    client, company, contact = _client_of(actor, deal)
    entity = LegalEntity.objects.first()
    invoice = Invoice.objects.create(
        deal=deal,
        company=company,
        contact=contact,
        client=client,
        seller=_seller(tenant),
        currency=_currency(deal.currency),
        language=language if language in LANGUAGES else (tenant.language or "en")[:2],
        template=presets.TEMPLATES.get(tenant.country, Invoice.GENERIC),
        due_date=due_date or today + timedelta(days=DEFAULT_DUE_DAYS),
        prices_include_tax=entity.prices_include_tax if entity else False,
        tax_on_total=entity.tax_on_total if entity else False,
        created_by=actor.user,
    )
    items = deal_selectors.line_items_for(actor).filter(deal_id=deal.pk).order_by("position", "id")
    lines = []
    for position, item in enumerate(items):
        rate = _rate_for(item.tax_rate, today)
        lines.append(
            _line(
                invoice,
                position,
                name=item.name,
                unit=item.product.unit if item.product else "",
                quantity=item.quantity,
                unit_price=item.price,
                discount=item.discount,
                rate=rate,
                percent=item.tax_rate,
            )
        )
    InvoiceLine.objects.bulk_create(lines)
    _recompute(invoice)
    invoice.save(update_fields=["subtotal", "tax_total", "total"])
    emit("invoice.created", actor=actor.user, subject=invoice, data=_payload(invoice),
         related=_related(invoice))  # fmt: skip
    return invoice


def _line(
    invoice, position, *, name, unit, quantity, unit_price, discount, rate, percent=None,
    hsn_sac="",
):  # fmt: skip
    """A line with its rate copied; its amounts are set by _recompute with the others."""
    percent = rate.percent if rate is not None else Decimal(percent or 0)
    return InvoiceLine(
        invoice=invoice,
        position=position,
        name=name[:200],
        unit=unit[:20],
        hsn_sac=hsn_sac,
        quantity=quantity,
        unit_price=unit_price,
        discount=discount,
        tax_rate=rate,
        tax_percent=percent,
        tax_name=rate.name if rate is not None else (percent_text(percent) if percent else ""),
    )


def _draft(actor: Membership, invoice) -> Invoice:
    require(actor, "edit")
    invoice = _visible(actor, invoice)
    if invoice.status != Invoice.DRAFT:
        raise Conflict(_("An issued invoice cannot be changed: cancel it or issue a credit note."))
    return invoice


def _clean_line(data: dict) -> dict:
    """A line's input checked: a clear message per field, nothing written if any is wrong."""
    errors = {}
    name = str(data.get("name") or "").strip()
    if not name:
        errors["name"] = _("Name the product or service.")
    out = {"name": name, "unit": str(data.get("unit") or "").strip()}
    hsn_sac = "".join(str(data.get("hsn_sac") or "").split())
    if hsn_sac and not requisites.hsn_sac_valid(hsn_sac):
        errors["hsn_sac"] = _("An HSN or SAC code has 4 to 8 digits, such as 998314.")
    out["hsn_sac"] = hsn_sac
    for field, low, high, default in (
        ("quantity", Decimal("0.001"), MAX_QUANTITY, "1"),
        ("unit_price", Decimal(0), MAX_PRICE, None),
        ("discount", Decimal(0), Decimal(100), "0"),
    ):
        raw = data.get(field)
        if raw is None or raw == "":
            raw = default  # a blank discount is none; a blank price is a mistake
        if raw is None:
            errors[field] = _("This field is required.")
            continue
        try:
            value = _decimal(raw, field)
        except ValidationError as exc:
            errors.update(exc.message_dict)
            continue
        if field == "quantity" and value <= 0:
            errors[field] = _("The quantity must be more than zero.")
        elif value < low or value > high:
            errors[field] = _("Enter a number from %(low)s to %(high)s.") % {
                "low": low, "high": high,
            }  # fmt: skip
        out[field] = value
    rate = data.get("tax_rate")
    out["rate"] = None
    if rate not in (None, ""):
        found = (
            TaxRate.objects.filter(pk=getattr(rate, "pk", rate)).first()
            if str(getattr(rate, "pk", rate)).isdigit()
            else None
        )
        if found is None:
            errors["tax_rate"] = _("Choose one of the workspace's tax rates.")
        out["rate"] = found
    if errors:
        raise ValidationError(errors)
    return out


@transaction.atomic
def line_add(*, actor: Membership, invoice, data: dict) -> InvoiceLine:
    invoice = _draft(actor, invoice)
    clean = _clean_line(data)
    last = invoice.lines.aggregate(m=Max("position"))["m"]
    line = _line(invoice, 0 if last is None else last + 1, **clean)
    line.save()
    _recompute(invoice)
    invoice.save(update_fields=["subtotal", "tax_total", "total"])
    emit("invoice.updated", actor=actor.user, subject=invoice, data=_payload(invoice),
         related=_related(invoice))  # fmt: skip
    line.refresh_from_db()
    return line


@transaction.atomic
def line_update(*, actor: Membership, invoice, line_id: int, data: dict) -> InvoiceLine:
    invoice = _draft(actor, invoice)
    line = invoice.lines.filter(pk=line_id).first()
    if line is None:
        raise ValidationError({"line": _("This line does not exist.")})
    merged = {
        "name": line.name, "unit": line.unit, "quantity": line.quantity,
        "unit_price": line.unit_price, "discount": line.discount, "tax_rate": line.tax_rate_id,
        "hsn_sac": line.hsn_sac, **data,
    }  # fmt: skip
    clean = _clean_line(merged)
    if "tax_rate" not in data and line.tax_rate_id is None:
        clean["percent"] = line.tax_percent  # a bare percent copied from the deal stays
    fresh = _line(invoice, line.position, **clean)
    fresh.pk = line.pk
    fresh.save()
    _recompute(invoice)
    fresh.refresh_from_db()
    invoice.save(update_fields=["subtotal", "tax_total", "total"])
    emit("invoice.updated", actor=actor.user, subject=invoice, data=_payload(invoice),
         related=_related(invoice))  # fmt: skip
    return fresh


@transaction.atomic
def line_remove(*, actor: Membership, invoice, line_id: int) -> None:
    invoice = _draft(actor, invoice)
    invoice.lines.filter(pk=line_id).delete()
    _recompute(invoice)
    invoice.save(update_fields=["subtotal", "tax_total", "total"])
    emit("invoice.updated", actor=actor.user, subject=invoice, data=_payload(invoice),
         related=_related(invoice))  # fmt: skip


DRAFT_FIELDS = ("due_date", "notes", "language", "currency", "template")
# The client's requisites on the draft, as `client_<field>` (the snapshot's keys).
CLIENT_INPUTS = tuple(f"client_{field}" for field in requisites.CLIENT_FIELDS)


@transaction.atomic
def invoice_update(*, actor: Membership, invoice, data: dict) -> Invoice:
    """The draft's own fields: due date, notes, language, currency, template, and the
    client's requisites (`client_name`, `client_tax_id`, `client_kpp`, ...), checked by the
    rules of the template's country: nothing is written if any is wrong."""
    invoice = _draft(actor, invoice)
    if "currency" in data:
        data = {**data, "currency": _currency(data["currency"])}
    if "language" in data and data["language"] not in LANGUAGES:
        raise ValidationError({"language": _("Choose en, ru, mn, ta or te.")})
    if "template" in data and data["template"] not in dict(Invoice.TEMPLATES):
        raise ValidationError({"template": _("Choose a template.")})
    template = data.get("template", invoice.template)
    if "template" in data or any(key in data for key in CLIENT_INPUTS):
        given = {key[len("client_") :]: data[key] for key in CLIENT_INPUTS if key in data}
        invoice.client = requisites.clean_client({**invoice.client, **given}, template)
    for field in DRAFT_FIELDS:
        if field in data:
            setattr(invoice, field, data[field])
    invoice.save()
    emit("invoice.updated", actor=actor.user, subject=invoice, data=_payload(invoice),
         related=_related(invoice))  # fmt: skip
    return invoice


# --- issue, cancel, credit notes ---------------------------------------------------------


# What an issue writes on the invoice, with its number, in numbering.assign's statement.
ISSUED_FIELDS = ("client", "seller", "series", "issue_date", "status", "issued_at", "due_date")


@transaction.atomic
def invoice_issue(*, actor: Membership, invoice, day=None) -> Invoice:
    """Number it and freeze it. The number comes from the series' counter in this very
    transaction: if anything below fails, the number goes back with it. Everything that
    can be done before is done before: the counter row stays locked from the moment the
    number is taken until the commit, and every other issue in the series waits for it, so
    the number is taken by the last statement (numbering.assign: the counter, the invoice
    with its number and the event's number in one statement), followed only by the
    commit."""
    require(actor, "edit")
    pk = invoice.pk if isinstance(invoice, Invoice) else invoice
    # The invoice's own row only (no deal or series joined) and no ORDER BY: building the
    # query is a good part of an issue's CPU.
    locked = (
        selectors.invoices_for(actor)
        .select_related(None)
        .select_for_update(of=("self",))
        .annotate(has_lines=Exists(InvoiceLine.objects.filter(invoice_id=OuterRef("pk"))))
        .filter(pk=pk)
        .order_by()[:1]
    )
    invoice = next(iter(locked), None)
    if invoice is None:
        raise PermissionDenied(_("You cannot see this invoice."))
    if invoice.status != Invoice.DRAFT:
        raise Conflict(_("An issued invoice cannot be changed: cancel it or issue a credit note."))
    if not invoice.has_lines:
        raise ValidationError({"lines": _("Add at least one line before issuing.")})
    day = day or timezone.localdate()
    # The client's requisites as the template's country wants them (a company's ИНН copied
    # from the client's card is checked here, before a number is taken).
    invoice.client = requisites.clean_client(invoice.client, invoice.template)
    series = invoice.series or default_series(invoice.kind, actor.tenant.country)
    invoice.seller = _seller(actor.tenant)  # the seller's requisites on the day of issue
    invoice.series, invoice.issue_date = series, day
    invoice.status, invoice.issued_at = Invoice.ISSUED, timezone.now()
    if invoice.due_date is None or invoice.due_date < day:
        invoice.due_date = day
    # The event is written before the number and gets it in the numbering statement: once
    # the counter row is locked, one statement and the commit are all that run.
    event = emit("invoice.issued", actor=actor.user, subject=invoice, data=_payload(invoice),
                 related=_related(invoice))  # fmt: skip
    try:
        numbering.assign(series, day, invoice, fields=ISSUED_FIELDS, event=event)
    except IntegrityError:
        # Only a series whose format was changed can give a number it gave before; the
        # error leaves the transaction, which rolls the counter back with it.
        raise ValidationError(
            {
                "number": _(
                    "The series gave a number that is already used: change its format in "
                    "Settings > Invoicing."
                )
            }
        ) from None
    if (actor.tenant.country == "IN" or invoice.template == Invoice.INDIA) and len(
        invoice.number
    ) > 16:
        # GST rules: an invoice number has at most 16 characters (raised after the number
        # is taken: the rollback gives it back).
        raise ValidationError(
            {"number": _("In India an invoice number has at most 16 characters.")}
        )
    return invoice


@transaction.atomic
def invoice_send(*, actor: Membership, invoice, to: str) -> Invoice:
    """Email the issued invoice with its PDF; the mail goes once the send is recorded."""
    require(actor, "edit")
    invoice = _visible(actor, invoice)
    if invoice.status != Invoice.ISSUED:
        raise Conflict(_("Only an issued invoice is sent."))
    to = (to or "").strip()
    try:
        validate_email(to)
    except ValidationError:
        raise ValidationError({"to": _("Enter a valid email address.")}) from None
    emit("invoice.sent", actor=actor.user, subject=invoice, data={**_payload(invoice), "to": to},
         related=_related(invoice))  # fmt: skip
    from .flows import live_link  # flows builds on this module

    invoice.sent_to = to  # reminders go to the same address
    invoice.save(update_fields=["sent_to"])
    live_link(invoice, actor.user)  # the email carries the client page's link
    tenant_id, pk = invoice.tenant_id, invoice.pk
    after_commit.send(lambda: tasks.send_invoice_email.delay(tenant_id, pk, to), "an invoice email")
    return invoice


@transaction.atomic
def invoice_cancel(*, actor: Membership, invoice) -> Invoice:
    """A draft or an unpaid issued invoice is cancelled; its number stays used (no gap)."""
    require(actor, "edit")
    invoice = _visible(actor, invoice)
    if invoice.status == Invoice.CANCELLED:
        raise Conflict(_("This invoice is already cancelled."))
    if invoice.allocations.exists():
        raise Conflict(_("This invoice has payments: issue a credit note instead."))
    invoice.status, invoice.cancelled_at = Invoice.CANCELLED, timezone.now()
    invoice.save(update_fields=["status", "cancelled_at"])
    emit("invoice.cancelled", actor=actor.user, subject=invoice, data=_payload(invoice),
         related=_related(invoice))  # fmt: skip
    return invoice


@transaction.atomic
def credit_note_create(*, actor: Membership, invoice) -> Invoice:
    """A draft credit note referring to an issued invoice: its lines with the quantities
    negated, to be edited (a partial credit) and issued in the credit-note series."""
    require(actor, "create")
    original = _visible(actor, invoice)
    if original.status != Invoice.ISSUED or original.kind != Series.INVOICE:
        raise Conflict(_("A credit note refers to an issued invoice."))
    note = Invoice.objects.create(
        kind=Series.CREDIT_NOTE,
        original=original,
        deal=original.deal,
        company=original.company,
        contact=original.contact,
        client=original.client,
        seller=original.seller,
        currency=original.currency,
        language=original.language,
        template=original.template,
        prices_include_tax=original.prices_include_tax,
        tax_on_total=original.tax_on_total,
        due_date=timezone.localdate(),
        created_by=actor.user,
    )
    lines = [
        InvoiceLine(
            invoice=note, position=line.position, name=line.name, unit=line.unit,
            hsn_sac=line.hsn_sac, quantity=-line.quantity, unit_price=line.unit_price,
            discount=line.discount, tax_rate=line.tax_rate, tax_percent=line.tax_percent,
            tax_name=line.tax_name,
        )
        for line in original.lines.select_related("tax_rate")
    ]  # fmt: skip
    InvoiceLine.objects.bulk_create(lines)
    _recompute(note)
    note.save(update_fields=["subtotal", "tax_total", "total"])
    emit("invoice.created", actor=actor.user, subject=note, data=_payload(note),
         related=[*_related(note), original])  # fmt: skip
    return note


# --- payments ------------------------------------------------------------------------------


def payment_status_of(invoice: Invoice, refunded: bool) -> str:
    if invoice.paid_amount <= 0:
        return Invoice.REFUNDED if refunded else Invoice.UNPAID
    return Invoice.PAID if invoice.paid_amount >= invoice.total else Invoice.PARTIAL


@transaction.atomic
def payment_record(
    *,
    actor: Membership,
    allocations: list[tuple[object, object]],
    paid_on=None,
    reference: str = "",
    refund: bool = False,
    external_id: str = "",
) -> Payment:
    """A payment (or a refund) over one or several issued invoices of one currency:
    [(invoice, amount), ...]. Each invoice's payment status follows."""
    require(actor, "edit")
    if not allocations:
        raise ValidationError({"invoice": _("Choose an invoice.")})
    errors, rows, seen = {}, [], set()
    for invoice, raw in allocations:
        amount = cents(_decimal(raw, "amount"))
        if amount <= 0:
            errors["amount"] = _("The amount must be more than zero.")
            continue
        found = _visible(actor, invoice)
        if found.pk in seen:
            errors["invoice"] = _("Name each invoice once.")
            continue
        seen.add(found.pk)
        if found.status != Invoice.ISSUED or found.kind != Series.INVOICE:
            errors["invoice"] = _("Payments are recorded against issued invoices.")
            continue
        if refund and amount > found.paid_amount:
            errors["amount"] = _("A refund cannot exceed what was paid.")
        if not refund and amount > found.due:
            errors["amount"] = _("The amount exceeds what is due (%(due)s).") % {"due": found.due}
        rows.append((found, amount))
    if errors:
        raise ValidationError(errors)
    return store_payment(
        rows, user=actor.user, paid_on=paid_on, reference=reference, refund=refund,
        external_id=external_id,
    )  # fmt: skip


def store_payment(
    rows: list[tuple[Invoice, Decimal]],
    *,
    user=None,
    paid_on=None,
    reference: str = "",
    refund: bool = False,
    external_id: str = "",
) -> Payment:
    """The payment and its allocations over invoices already checked and locked (by
    `payment_record`, or by a provider's webhook inside its workspace), with each invoice's
    payment status and events. `user` is None for money a provider or the bank reported."""
    currencies = {invoice.currency for invoice, _amount in rows}
    if len(currencies) != 1:
        raise ValidationError({"invoice": _("A payment is in one currency.")})
    payment = Payment.objects.create(
        amount=sum(amount for _invoice, amount in rows),
        currency=currencies.pop(),
        is_refund=refund,
        paid_on=paid_on or timezone.localdate(),
        reference=reference[:120],
        external_id=external_id[:120],
        created_by=user,
    )
    changed = []
    for invoice, amount in rows:
        Allocation.objects.create(payment=payment, invoice=invoice, amount=amount)
        was = invoice.payment_status
        invoice.paid_amount += -amount if refund else amount
        invoice.payment_status = payment_status_of(invoice, refunded=refund)
        changed.append((invoice, amount, was))
    # One statement for all the invoices: the kept totals' rows (InvoiceTotal) it moves are
    # then locked in one sorted pass, so two payments over several invoices never wait for
    # each other crosswise (a deadlock).
    Invoice.objects.bulk_update([invoice for invoice, *_ in changed],
                                ["paid_amount", "payment_status"])  # fmt: skip
    for invoice, amount, was in changed:
        data = {**_payload(invoice), "amount": str(amount),
                "payment_status": invoice.payment_status, "refund": refund}  # fmt: skip
        emit("invoice.payment_recorded", actor=user, subject=invoice, data=data,
             related=_related(invoice))  # fmt: skip
        if invoice.payment_status == Invoice.PAID and was != Invoice.PAID:
            emit("invoice.paid", actor=user, subject=invoice, data=_payload(invoice),
                 related=_related(invoice))  # fmt: skip
    return payment


# --- Mongolia: the e-Barimt receipt --------------------------------------------------------


@transaction.atomic
def receipt_set(*, actor: Membership, invoice, receipt_number: str) -> Invoice:
    """Record the e-Barimt receipt number (ДДТД) registered for an issued invoice, or clear
    it with "". A hook: the receipt is registered with the tax office elsewhere, and a
    connector to it would call this."""
    require(actor, "edit")
    invoice = _visible(actor, invoice)
    if invoice.status != Invoice.ISSUED:
        raise Conflict(_("An e-Barimt receipt is recorded on an issued invoice."))
    receipt_number = "".join(str(receipt_number or "").split())
    if receipt_number and not requisites.receipt_valid(receipt_number):
        raise ValidationError(
            {"receipt_number": _("A receipt number has up to 64 Latin letters and digits.")}
        )
    invoice.receipt_number = receipt_number
    invoice.save(update_fields=["receipt_number"])
    emit("invoice.updated", actor=actor.user, subject=invoice,
         data=_payload(invoice),
         related=_related(invoice))  # fmt: skip
    return invoice


# --- Settings > Invoicing: tax settings, series, tax rates ---------------------------------


def _admin(actor: Membership) -> None:
    if not actor.role.can_manage_workspace:
        raise PermissionDenied(_("Your role does not allow this."))


@transaction.atomic
def tax_settings_save(
    *, actor: Membership, prices_include_tax: bool, tax_on_total: bool
) -> LegalEntity:
    """Whether prices include tax and whether tax is reckoned on the total: new drafts copy
    them; drafts made before keep theirs, issued invoices never change."""
    _admin(actor)
    entity = LegalEntity.objects.select_for_update().first() or LegalEntity(name=actor.tenant.name)
    entity.prices_include_tax, entity.tax_on_total = bool(prices_include_tax), bool(tax_on_total)
    entity.save()
    return entity


# A period that resets the counter needs its period in the number, or the second year's
# INV-00001 would be the first year's again.
PERIOD_FIELDS = {Series.YEAR: ("{yyyy}", "{yy}"), Series.FISCAL_IN: ("{fy}", "{fyy}")}


@transaction.atomic
def series_save(*, actor: Membership, data: dict, series=None) -> Series:
    """A new numbering series, or a change to one: code, kind, format, period, default.
    A series already used keeps its code and period (its numbers and counters hang on
    them); its format may change."""
    _admin(actor)
    if series is not None:
        series = Series.objects.select_for_update().filter(pk=getattr(series, "pk", series))
        series = series.first()
        if series is None:
            raise ValidationError({"code": _("This series does not exist.")})
    used = series is not None and Invoice.objects.filter(series=series).exists()
    errors = {}
    code = str(data.get("code") or "").strip()
    fmt = str(data.get("format") or "").strip()
    period = data.get("period") or Series.YEAR
    kind = data.get("kind") or (series.kind if series else Series.INVOICE)
    if not code:
        errors["code"] = _("Give the series a code, such as INV.")
    elif Series.objects.filter(code=code).exclude(pk=getattr(series, "pk", None)).exists():
        errors["code"] = _("Another series has this code.")
    if period not in dict(Series.PERIODS):
        errors["period"] = _("Choose when the numbering starts again.")
    if kind not in dict(Series.KINDS):
        errors["kind"] = _("Choose invoices or credit notes.")
    if used and (code != series.code or period != series.period):
        errors["code" if code != series.code else "period"] = _(
            "This series has numbered invoices: its code and reset stay as they are."
        )
    try:
        numbering.check_format(fmt)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    else:
        needed = PERIOD_FIELDS.get(period, ())
        if needed and not any(field in fmt for field in needed):
            errors["format"] = _(
                "A series that starts again each period needs the period in the number: "
                "add %(fields)s."
            ) % {"fields": " / ".join(needed)}
        elif actor.tenant.country == "IN":
            sample = Series(code=code, format=fmt)
            if len(numbering.render(sample, 99999, timezone.localdate())) > 16:
                errors["format"] = _(
                    "In India an invoice number has at most 16 characters; with five-digit "
                    "numbers this format gives more."
                )
    if errors:
        raise ValidationError(errors)
    series = series or Series()
    series.code, series.format, series.period, series.kind = code, fmt, period, kind
    if data.get("is_default"):
        Series.objects.filter(kind=kind, is_default=True).exclude(pk=series.pk).update(
            is_default=False
        )
        series.is_default = True
    series.save()
    return series


def _date_or_none(value, field: str):
    if value in (None, ""):
        return None
    if hasattr(value, "year"):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError({field: _("Enter a date as YYYY-MM-DD.")}) from None


@transaction.atomic
def tax_rate_save(*, actor: Membership, data: dict, rate=None) -> TaxRate:
    """A new tax rate or a change to one. A rate lines already use keeps its percent (the
    lines copied it): when a law changes, end the old rate and add a new one."""
    _admin(actor)
    if rate is not None:
        rate = TaxRate.objects.select_for_update().filter(pk=getattr(rate, "pk", rate)).first()
        if rate is None:
            raise ValidationError({"name": _("This tax rate does not exist.")})
    errors = {}
    name = str(data.get("name") or "").strip()
    if not name:
        errors["name"] = _("Name the rate, such as VAT 20%.")
    percent = None
    try:
        percent = _decimal(data.get("percent", ""), "percent")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    else:
        if not 0 <= percent <= 100 or percent != percent.quantize(Decimal("0.01")):
            errors["percent"] = _("Enter a percent from 0 to 100, with at most two decimals.")
    try:
        valid_from = _date_or_none(data.get("valid_from"), "valid_from")
        valid_to = _date_or_none(data.get("valid_to"), "valid_to")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    else:
        if valid_from and valid_to and valid_to < valid_from:
            errors["valid_to"] = _("The rate cannot end before it starts.")
    if (
        rate is not None
        and percent is not None
        and percent != rate.percent
        and InvoiceLine.objects.filter(tax_rate=rate).exists()
    ):
        errors["percent"] = _(
            "Invoices use this rate: end it (set its last day) and add a new one instead."
        )
    if errors:
        raise ValidationError(errors)
    rate = rate or TaxRate(country=actor.tenant.country)
    rate.name, rate.percent, rate.exempt = name[:80], percent, bool(data.get("exempt"))
    rate.valid_from, rate.valid_to = valid_from, valid_to
    rate.save()
    return rate


@transaction.atomic
def tax_rate_archive(*, actor: Membership, rate) -> TaxRate:
    """End a rate yesterday: new lines no longer offer it; invoices that used it keep it."""
    _admin(actor)
    rate = TaxRate.objects.select_for_update().filter(pk=getattr(rate, "pk", rate)).first()
    if rate is None:
        raise ValidationError({"name": _("This tax rate does not exist.")})
    yesterday = timezone.localdate() - timedelta(days=1)
    if rate.valid_from and rate.valid_from > yesterday:
        raise ValidationError(
            {"valid_to": _("This rate has not started yet: change its dates instead.")}
        )
    if rate.valid_to is None or rate.valid_to > yesterday:
        rate.valid_to = yesterday
        rate.save(update_fields=["valid_to"])
    return rate
