"""Writes of the flows around the money (services, kept beside services.py): the client's
page and its links, invoice.viewed and invoice.overdue, the request to the accountant,
reminders, bank statements, and the payment providers' webhooks.

Same rules as services.py: keyword-only, the acting membership first, one transaction, an
event for each change; an invoice is looked up again through `selectors.invoices_for`.
What a client, the bank or a provider does (opening the page, a paid webhook) has no
member behind it: those functions run inside the workspace the token named, and their
events have no actor.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import after_commit
from crm.accounts.models import Membership
from crm.activity import services as activity
from crm.activity import subjects
from crm.activity.events import emit
from crm.activity.models import Task
from crm.activity.records import Ref
from crm.tenancy.context import require_tenant_id
from deals.selectors import deals_for

from . import crypto, providers, selectors, services, statements, tasks
from .models import (
    ClientLink,
    Invoice,
    InvoiceRequest,
    Payment,
    ProviderEvent,
    ProviderSettings,
    Series,
    StatementImport,
    StatementLine,
)
from .services import Conflict, _payload, _related, _visible, require

OPEN = (Invoice.UNPAID, Invoice.PARTIAL)


def new_token() -> str:
    """`<workspace id>_<secret>`: the page or webhook finds its workspace from the token
    alone, then looks the whole token up inside it (never trusting anything else)."""
    return f"{require_tenant_id()}_{secrets.token_urlsafe(32)}"


def site_url(route: str) -> str:
    return settings.SITE_URL.rstrip("/") + route


# --- the client's page --------------------------------------------------------------------------


def client_url(link: ClientLink) -> str:
    return site_url(reverse("invoice_client_page", args=[link.token]))


def live_link(invoice: Invoice, user=None) -> ClientLink:
    """The invoice's live link, made if it has none (sending and reminding make one)."""
    link = ClientLink.objects.filter(invoice=invoice, revoked_at=None).first()
    if link is None:
        link = ClientLink.objects.create(invoice=invoice, token=new_token(), created_by=user)
    return link


@transaction.atomic
def client_link_create(*, actor: Membership, invoice) -> ClientLink:
    """A new link to the invoice's client page; a live one is revoked (regenerate)."""
    require(actor, "edit")
    invoice = _visible(actor, invoice)
    if invoice.status != Invoice.ISSUED:
        raise Conflict(_("Only an issued invoice has a client page."))
    ClientLink.objects.filter(invoice=invoice, revoked_at=None).update(revoked_at=timezone.now())
    link = ClientLink.objects.create(invoice=invoice, token=new_token(), created_by=actor.user)
    emit("invoice.link_created", actor=actor.user, subject=invoice, data=_payload(invoice),
         related=_related(invoice))  # fmt: skip
    return link


@transaction.atomic
def client_link_revoke(*, actor: Membership, invoice) -> int:
    """The live link stops working at once (the page answers 404)."""
    require(actor, "edit")
    invoice = _visible(actor, invoice)
    revoked = ClientLink.objects.filter(invoice=invoice, revoked_at=None).update(
        revoked_at=timezone.now()
    )
    if revoked:
        emit("invoice.link_revoked", actor=actor.user, subject=invoice, data=_payload(invoice),
             related=_related(invoice))  # fmt: skip
    return revoked


def client_page_invoice(token: str) -> Invoice | None:
    """The invoice a live token opens, inside the current (token's) workspace."""
    link = ClientLink.objects.filter(token=token, revoked_at=None).select_related("invoice").first()
    if link is None or link.invoice.status == Invoice.DRAFT:
        return None
    return link.invoice


def client_invoices(invoice: Invoice):
    """The client's issued invoices in this workspace: same company, else same contact."""
    if invoice.company_id:
        same = Q(company_id=invoice.company_id)
    elif invoice.contact_id:
        same = Q(contact_id=invoice.contact_id)
    else:
        return Invoice.objects.filter(pk=invoice.pk)
    return Invoice.objects.filter(same, kind=Series.INVOICE).exclude(status=Invoice.DRAFT)


@transaction.atomic
def invoice_viewed(invoice: Invoice) -> bool:
    """The client opened the page: invoice.viewed, at most once a day per invoice (one
    conditional UPDATE decides, so two tabs opened at once give one event)."""
    today = timezone.localdate()
    first_today = (
        Invoice.objects.filter(pk=invoice.pk)
        .filter(Q(viewed_on=None) | Q(viewed_on__lt=today))
        .update(viewed_on=today)
    )
    if first_today:
        emit("invoice.viewed", actor=None, subject=invoice, data=_payload(invoice),
             related=_related(invoice))  # fmt: skip
    return bool(first_today)


# --- overdue -------------------------------------------------------------------------------------

OVERDUE_BATCH = 1000


def overdue_mark() -> int:
    """Beat, daily (per workspace): invoice.overdue once for each issued invoice past its due
    date and not fully paid. Batches of OVERDUE_BATCH, each in its own transaction; rows
    another sweep holds are skipped (SKIP LOCKED), not waited for."""
    total = 0
    while True:
        with transaction.atomic():
            found = list(
                Invoice.objects.filter(selectors.overdue_q(), kind=Series.INVOICE, overdue_at=None)
                .select_for_update(of=("self",), skip_locked=True)
                .select_related("deal")
                .order_by("pk")[:OVERDUE_BATCH]
            )
            if not found:
                return total
            Invoice.objects.filter(pk__in=[i.pk for i in found]).update(overdue_at=timezone.now())
            for invoice in found:
                emit("invoice.overdue", actor=None, subject=invoice,
                     data={**_payload(invoice), "due_date": str(invoice.due_date)},
                     related=_related(invoice))  # fmt: skip
        total += len(found)


# --- asking the accountant ------------------------------------------------------------------------


def accountant_for() -> Membership | None:
    """Who gets a request: among active members whose role may create invoices, those of
    the built-in accountant role first (else any, admins included), the one with the fewest
    open tasks; ties go to the earliest member. Two queries."""
    able = [
        m
        for m in Membership.objects.filter(is_active=True)
        .select_related("role", "user")
        .order_by("joined_at", "id")
        if m.can("invoice", "create")
    ]
    pool = [m for m in able if m.role.key == "accountant"] or able
    if not pool:
        return None
    open_tasks = dict(
        Task.objects.filter(done_at=None, assignee_id__in=[m.user_id for m in pool])
        .values("assignee_id")
        .annotate(n=Count("id"))
        .values_list("assignee_id", "n")
    )
    return min(pool, key=lambda m: open_tasks.get(m.user_id, 0))  # min keeps the first of ties


def open_request(deal_id: int) -> InvoiceRequest | None:
    return (
        InvoiceRequest.objects.filter(deal_id=deal_id, fulfilled_at=None)
        .select_related("assignee", "requested_by")
        .first()
    )


@transaction.atomic
def invoice_request(*, actor: Membership, deal, note: str = "") -> InvoiceRequest:
    """ "Ask the accountant for an invoice": a to-do for today on the deal, assigned to an
    accountant (accountant_for), and the request the accountant makes the draft from."""
    deal = deals_for(actor).filter(pk=getattr(deal, "pk", deal)).first()
    if deal is None:
        raise PermissionDenied(_("You cannot see this deal."))
    existing = open_request(deal.pk)
    if existing is not None:
        raise Conflict(_("An invoice for this deal has already been asked for."))
    accountant = accountant_for()
    if accountant is None:
        raise ValidationError(_("No one in this workspace may create invoices."))
    note = (note or "").strip()[:2000]
    link = site_url(reverse("deal_card", args=[deal.pk]))
    task = activity.task_create(
        actor=actor,
        title=_("Make an invoice for “%(deal)s”") % {"deal": deal.title[:150]},
        all_day=True,
        due_date=timezone.localdate(),
        assignee=accountant.user,
        subject=deal,
        notes="\n\n".join(filter(None, [note, link])),
    )
    request = InvoiceRequest.objects.create(
        deal=deal, task=task, requested_by=actor.user, assignee=accountant.user, note=note
    )
    emit("invoice.requested", actor=actor.user, subject=deal,
         data={"deal": deal.pk, "assignee": accountant.user_id, "note": note})  # fmt: skip
    return request


@transaction.atomic
def invoice_request_fulfil(*, actor: Membership, request) -> Invoice:
    """The accountant's one click: the draft from the request's deal, the request closed and
    its task done."""
    request = (
        InvoiceRequest.objects.select_for_update()
        .filter(pk=getattr(request, "pk", request), fulfilled_at=None)
        .first()
    )
    if request is None:
        raise Conflict(_("This request has already been answered."))
    invoice = services.invoice_create_from_deal(actor=actor, deal=request.deal_id)
    request.invoice, request.fulfilled_at = invoice, timezone.now()
    request.save(update_fields=["invoice", "fulfilled_at"])
    _close_task(actor, request.task_id)
    return invoice


def _close_task(actor: Membership, task_id: int | None) -> None:
    """The request's to-do is done with it, whatever the accountant's rights on tasks (the
    built-in accountant role has none): marked done as task_complete would, with its event
    on the deal's timeline and the deal's next activity recomputed."""
    task = Task.objects.select_for_update().filter(pk=task_id, done_at=None).first()
    if task is None:
        return
    if actor.can("task", "edit"):
        activity.task_complete(actor=actor, task=task)
        return
    task.done_at = timezone.now()
    task.completion_note = _("Invoice drafted.")
    task.save(update_fields=["done_at", "completion_note", "updated_at"])
    emit("task.completed", actor=actor.user, subject=task, data={"note": task.completion_note},
         related=[r for r in [Ref(task.object_type, task.object_id)] if r.pk])  # fmt: skip
    subjects.changed(task.object_type, task.object_id)


# --- reminders ---------------------------------------------------------------------------------


@transaction.atomic
def reminders_send(*, actor: Membership, invoices) -> tuple[list[Invoice], list[tuple]]:
    """A reminder by email (the PDF and the client page's link) for each issued, unpaid
    invoice, to the address it was sent to. ([sent], [(invoice, why not), ...]). The
    invoices are read and locked in one query and their links in two, whatever their
    number; one the actor may not see is left out as if it did not exist."""
    require(actor, "edit")
    ids = list(dict.fromkeys(getattr(i, "pk", i) for i in invoices))
    found = (
        selectors.invoices_for(actor)
        .select_for_update(of=("self",))
        .filter(pk__in=ids)
        .order_by("pk")
    )
    sent, skipped = [], []
    for invoice in found:
        if invoice.status != Invoice.ISSUED or invoice.kind != Series.INVOICE:
            skipped.append((invoice, _("not issued")))
        elif invoice.payment_status not in OPEN:
            skipped.append((invoice, _("nothing is due")))
        elif not invoice.sent_to:
            skipped.append((invoice, _("never sent by email: send it first")))
        else:
            sent.append(invoice)
    linked = set(
        ClientLink.objects.filter(invoice__in=sent, revoked_at=None).values_list(
            "invoice_id", flat=True
        )
    )
    ClientLink.objects.bulk_create(
        [ClientLink(invoice=i, token=new_token(), created_by=actor.user)
         for i in sent if i.pk not in linked]
    )  # fmt: skip
    for invoice in sent:
        emit("invoice.reminded", actor=actor.user, subject=invoice,
             data={**_payload(invoice), "to": invoice.sent_to},
             related=_related(invoice))  # fmt: skip
    jobs = [(i.tenant_id, i.pk, i.sent_to) for i in sent]
    after_commit.send(
        lambda: [tasks.send_reminder_email.delay(*job) for job in jobs], "payment reminders"
    )
    return sent, skipped


# --- bank statements ----------------------------------------------------------------------------


def _open_invoices(actor: Membership):
    return selectors.invoices_for(actor).filter(
        status=Invoice.ISSUED, kind=Series.INVOICE, payment_status__in=OPEN
    )


def match(actor: Membership, entries) -> list[tuple[Invoice | None, str]]:
    """For each entry (invoice, why): by an invoice number in the purpose (the one whose
    balance equals the amount if several), else by the payer's tax number and an amount
    equal to one open invoice's balance, else by the tax number alone if the payer has one
    open invoice. Two queries whatever the number of entries."""
    words = set().union(*(statements.tokens(e.purpose) for e in entries)) if entries else set()
    open_ = _open_invoices(actor).select_related(None)
    by_number: dict[str, Invoice] = {}
    if words:
        for invoice in open_.filter(number__in=words | {w.lower() for w in words}):
            by_number[invoice.number.upper()] = invoice
    tax_ids = {e.payer_tax_id for e in entries if e.payer_tax_id}
    by_tax: dict[str, list[Invoice]] = {}
    if tax_ids:
        for invoice in open_.filter(client__tax_id__in=list(tax_ids)).order_by("issue_date", "pk"):
            by_tax.setdefault(invoice.client.get("tax_id", ""), []).append(invoice)
    out = []
    for entry in entries:
        named = [by_number[w] for w in sorted(statements.tokens(entry.purpose)) if w in by_number]
        if named:
            exact = [i for i in named if i.due == entry.amount]
            out.append(((exact or named)[0], "number"))
            continue
        theirs = by_tax.get(entry.payer_tax_id, []) if entry.payer_tax_id else []
        exact = [i for i in theirs if i.due == entry.amount]
        if len(exact) == 1:
            out.append((exact[0], "tax_id_amount"))
        elif len(theirs) == 1 and entry.amount <= theirs[0].due:
            out.append((theirs[0], "tax_id"))
        else:
            out.append((None, ""))
    return out


@transaction.atomic
def statement_import(*, actor: Membership, name: str, raw: bytes) -> StatementImport:
    """Read the file, match each incoming payment, keep it all for review. A file that
    cannot be read raises ValidationError({"file": "Line N: ..."}) and stores nothing."""
    require(actor, "edit")
    try:
        fmt, entries = statements.parse(name, raw)
    except statements.StatementError as exc:
        raise ValidationError({"file": str(exc)}) from None
    if not entries:
        raise ValidationError({"file": _("The file has no incoming payments.")})
    recorded = set(
        Payment.objects.filter(external_id__in=[e.external_id for e in entries]).values_list(
            "external_id", flat=True
        )
    )
    statement = StatementImport.objects.create(
        file_name=(name or "statement")[:200], format=fmt, created_by=actor.user
    )
    rows = []
    for entry, (invoice, why) in zip(entries, match(actor, entries), strict=True):
        if entry.external_id in recorded:
            state, invoice, why = StatementLine.DUPLICATE, None, ""
        else:
            state = StatementLine.MATCHED if invoice else StatementLine.UNMATCHED
        rows.append(
            StatementLine(
                statement=statement, line_number=entry.line_number,
                external_id=entry.external_id, paid_on=entry.paid_on, amount=entry.amount,
                document_number=entry.document_number, payer=entry.payer,
                payer_tax_id=entry.payer_tax_id, purpose=entry.purpose, invoice=invoice,
                match_reason=why, state=state,
            )
        )  # fmt: skip
    StatementLine.objects.bulk_create(rows)
    return statement


UNSET = object()


class LinesRefused(ValidationError):
    """Some statement lines cannot be recorded: `lines` is {line id: why}."""

    def __init__(self, lines: dict):
        self.lines = lines
        super().__init__({"lines": [f"{pk}: {why}" for pk, why in lines.items()]})


@transaction.atomic
def statement_confirm(*, actor: Membership, statement, choices: dict | None = None) -> list:
    """Record the reviewed lines as payments. `choices` {line id: invoice (or id) | None}
    overrides a line's match (None skips it); a line not named keeps its match (a matched
    line is recorded, an unmatched one skipped). All or nothing: any line refused (an
    amount over the balance, an invoice not open) refuses the whole confirmation, with a
    message per line. A line whose payment is already recorded (the same line of another
    import) is marked so and adds nothing."""
    require(actor, "edit")
    statement = (
        selectors.statements_for(actor)
        .select_for_update()
        .filter(pk=getattr(statement, "pk", statement))
        .first()
    )
    if statement is None:
        raise PermissionDenied(_("This statement does not exist."))
    if statement.status == StatementImport.DONE:
        raise Conflict(_("This statement has already been confirmed."))
    choices = choices or {}
    lines = list(statement.lines.filter(state__in=(StatementLine.MATCHED, StatementLine.UNMATCHED)))
    recorded = set(
        Payment.objects.filter(external_id__in=[ln.external_id for ln in lines]).values_list(
            "external_id", flat=True
        )
    )
    errors, payments = {}, []
    for line in lines:
        chosen = choices.get(line.pk, UNSET)
        if chosen is UNSET:
            chosen = line.invoice_id
        chosen = getattr(chosen, "pk", chosen)
        if line.external_id in recorded:
            line.state, line.invoice_id = StatementLine.DUPLICATE, None
        elif chosen is None:
            line.state, line.invoice_id = StatementLine.SKIPPED, None
        else:
            try:
                payment = services.payment_record(
                    actor=actor,
                    allocations=[(chosen, line.amount)],
                    paid_on=line.paid_on,
                    reference=" ".join(
                        filter(
                            None, [line.document_number and f"№ {line.document_number}", line.payer]
                        )
                    ),
                    external_id=line.external_id,
                )
            except (ValidationError, PermissionDenied) as exc:
                errors[line.pk] = (
                    _("This invoice does not exist.")
                    if isinstance(exc, PermissionDenied)
                    else " ".join(exc.messages)
                )
                continue
            line.state, line.invoice_id, line.payment = StatementLine.RECORDED, chosen, payment
            payments.append(payment)
    if errors:
        raise LinesRefused(errors)
    StatementLine.objects.bulk_update(lines, ["state", "invoice", "payment"])
    statement.status = StatementImport.DONE
    statement.save(update_fields=["status"])
    return payments


# --- payment providers ---------------------------------------------------------------------------


def provider_settings() -> ProviderSettings | None:
    return ProviderSettings.objects.first()


@transaction.atomic
def provider_settings_save(
    *, actor: Membership, stripe_secret=None, razorpay_secret=None, regenerate: bool = False
) -> ProviderSettings:
    """Admins: each provider's signing secret (None keeps it, "" removes it), stored
    encrypted; `regenerate` gives the webhook URLs a new token (the old ones stop)."""
    if not actor.role.can_manage_workspace:
        raise PermissionDenied(_("Your role does not allow this."))
    found = ProviderSettings.objects.select_for_update().first()
    if found is None:
        found = ProviderSettings(webhook_token=new_token())
    elif regenerate:
        found.webhook_token = new_token()
    for field, value in (("stripe_secret", stripe_secret), ("razorpay_secret", razorpay_secret)):
        if value is not None:
            value = value.strip()
            if len(value) > 200:
                raise ValidationError({field: _("This secret is too long.")})
            setattr(found, field, crypto.encrypt(value))
    found.save()
    return found


def webhook_url(found: ProviderSettings, provider: str) -> str:
    return site_url(reverse("payment_webhook", args=[provider, found.webhook_token]))


def _invoice_by_ref(ref: str) -> Invoice | None:
    ref = ref.strip()
    query = Q(number=ref)
    if ref.isdigit() and len(ref) < 19:
        query |= Q(pk=int(ref))
    return (
        Invoice.objects.select_for_update(of=("self",))
        .filter(query, kind=Series.INVOICE, status=Invoice.ISSUED)
        .order_by("pk")
        .first()
    )


def provider_event_receive(provider: str, event_id: str, event: dict) -> ProviderEvent | None:
    """A verified event, inside the workspace its URL named: stored once per event id (a
    redelivery returns None and records nothing), and, if it says an invoice was paid, the
    payment (once per provider payment id, whichever of the provider's events says so)."""
    kind = providers.event_type(provider, event)
    try:
        with transaction.atomic():
            stored = ProviderEvent.objects.create(provider=provider, event_id=event_id, type=kind)
            stored.outcome = _provider_payment(provider, stored, event)
            stored.save(update_fields=["outcome", "payment"])
    except IntegrityError:
        return None  # the same event again (or at the same moment): already handled
    return stored


def _provider_payment(provider: str, stored: ProviderEvent, event: dict) -> str:
    paid = providers.paid(provider, event)
    if paid is None:
        return "ignored"
    external_id = f"{provider}:{paid.payment_id}"
    if Payment.objects.filter(external_id=external_id).exists():
        return "payment already recorded"
    invoice = _invoice_by_ref(paid.invoice_ref)
    if invoice is None:
        return f"no issued invoice {paid.invoice_ref}"
    if paid.currency and paid.currency != invoice.currency:
        return f"currency {paid.currency} is not the invoice's {invoice.currency}"
    amount = min(paid.amount, invoice.due)
    if amount <= 0:
        return "nothing is due"
    stored.payment = services.store_payment(
        [(invoice, amount)],
        reference=f"{dict(ProviderEvent.PROVIDERS)[provider]} {paid.payment_id}",
        external_id=external_id,
    )
    return "recorded" if amount == paid.amount else f"recorded {amount} of {paid.amount}"
