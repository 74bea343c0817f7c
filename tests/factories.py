"""factory_boy factories for companies, contacts and deals.

`ContactFactory(actor=membership, **fields)` makes a record through the app's service, as a
person would: normalised, owned by the actor, with its event (and a deal's stage history).
`create_batch(n, actor=...)` makes `n` of them, each with its own name and email.

Companies and contacts can also be built unsaved, to be bulk-created when a test needs many
rows fast (query counts, long pages):

    with tenant_scope(tenant):
        Contact.objects.bulk_create(ContactFactory.build_batch(150, owner=owner.user))
"""

from __future__ import annotations

from decimal import Decimal

import factory

from contacts import services as contact_services
from contacts.models import Company, Contact
from crm.tenancy.context import tenant_scope
from deals import services as deal_services
from deals.models import Deal


class _ThroughServices(factory.Factory):
    """`create` calls `make` inside the actor's workspace; `build` stays plain factory_boy."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, actor, **fields):
        with tenant_scope(actor.tenant_id, actor.user):
            return cls.make(actor, model_class, fields)


class _ClientRecordFactory(_ThroughServices):
    class Meta:
        abstract = True

    @classmethod
    def make(cls, actor, model_class, fields):
        # Factory names differ only by a number, which the duplicate check would flag as
        # "a similar name"; that check has its own tests (pass allow_duplicate=False).
        allow_duplicate = fields.pop("allow_duplicate", True)
        return contact_services.record_create(
            actor=actor, model=model_class, data=fields, allow_duplicate=allow_duplicate
        )


class CompanyFactory(_ClientRecordFactory):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"Company {n}")


class ContactFactory(_ClientRecordFactory):
    class Meta:
        model = Contact

    first_name = factory.Sequence(lambda n: f"Person{n}")
    last_name = "Tester"
    emails = factory.LazyAttribute(lambda c: [f"{c.first_name.lower()}@example.com"])


class DealFactory(_ThroughServices):
    """Through `deal_create` only: in `stage` if given, else the first funnel's first stage."""

    class Meta:
        model = Deal

    title = factory.Sequence(lambda n: f"Deal {n}")
    amount = Decimal("100.00")

    @classmethod
    def make(cls, actor, model_class, fields):
        return deal_services.deal_create(actor=actor, data=fields)
