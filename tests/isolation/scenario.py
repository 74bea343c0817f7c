"""Two members of one workspace: a colleague whose records carry a canary word, and a viewer
whose role sees only their own records. The walks under tests/isolation/ use it to prove that
the viewer sees and changes nothing of the colleague's, on every path.

The canary is written into every text a record shows (names, titles, comments, notes, file
names, task titles), never into an email or a phone: a probe can then type the colleague's
email into a form and find out whether the answer says anything about the hidden record.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict
from django.utils import timezone

from automation.webhooks import delivery as webhook_delivery
from automation.webhooks import services as webhook_services
from contacts import services as contact_services
from contacts.importer.services import import_create
from contacts.models import Company, Contact, Segment
from crm.accounts.models import Membership
from crm.activity import services as activity_services
from crm.activity.dispatch import dispatch_pending
from crm.activity.models import Event
from crm.tenancy.context import tenant_scope
from deals import services as deal_services
from integrations import canned, ingest, receiver, team
from integrations import services as integration_services
from integrations.models import Conversation
from invoices import services as invoice_services
from reports import boards as report_boards
from reports import plans as report_plans
from reports import services as report_services
from reports import subscriptions as report_subscriptions
from reports.models import ReportExport
from tests.conftest import add_member, make_user

CANARY = "quokka"  # lower case; responses are compared in lower case
# A second word in the hidden names, to search for without the search box echoing the canary.
SEARCH_WORD = "wombat"

HIDDEN_EMAIL = "hidden-person@hidden-co.example"
HIDDEN_PHONE = "+14155550177"
HIDDEN_COMPANY_EMAIL = "office@hidden-co.example"


# A Bot API address where nothing listens: connecting fails at once (the channel is kept,
# in error), and no test reaches the real Telegram.
NOWHERE = "http://127.0.0.1:9"


def channel_create(admin: Membership, name: str = "Secret bot"):
    with tenant_scope(admin.tenant_id, admin.user):
        return integration_services.channel_create(
            actor=admin,
            kind="telegram",
            name=name,
            raw_settings={"bot_token": "12345:secret-bot-token", "api_base_url": NOWHERE},
        )


def conversation_create(
    channel, sender: str, text: str = "Hello", chat_id: int = 4242, **links
) -> Conversation:
    """A conversation as a real one comes: a delivery from `sender`, ingested; then
    `links` (assignee, contact) set on it."""
    update = {
        "update_id": chat_id,
        "message": {"message_id": 1, "date": 1767225600, "text": text,
                    "from": {"id": chat_id, "first_name": sender},
                    "chat": {"id": chat_id, "type": "private"}},
    }  # fmt: skip
    with tenant_scope(channel.tenant_id):
        ingest.process(receiver.receive(channel, update).pk)
        conversation = Conversation.objects.get(channel=channel, external_chat_id=str(chat_id))
        if links:
            Conversation.objects.filter(pk=conversation.pk).update(**links)
            conversation.refresh_from_db()
        return conversation


@dataclass
class Scenario:
    tenant: object
    admin: Membership
    colleague: Membership
    viewer: Membership
    records: dict = field(default_factory=dict)  # name -> the colleague's record
    own: dict = field(default_factory=dict)  # name -> the viewer's record

    def snapshot(self) -> dict:
        """Every field of every hidden record, to compare after a walk."""
        with tenant_scope(self.tenant):
            out = {}
            for name, record in self.records.items():
                fresh = type(record).all_tenants.filter(pk=record.pk).first()
                out[name] = model_to_dict(fresh) if fresh is not None else None
            return out


def build(tenant, admin: Membership) -> Scenario:
    """The colleague's records (each naming the canary), and the viewer's own contact, which
    the colleague's deal is linked to (so its card has the hidden deal's history)."""
    colleague = add_member(tenant, "manager", user=make_user(first_name="Colleague"))
    viewer = add_member(tenant, "manager", user=make_user(first_name="Viewer"))
    s = Scenario(tenant=tenant, admin=admin, colleague=colleague, viewer=viewer)
    with tenant_scope(tenant, colleague.user):
        company = contact_services.record_create(
            actor=colleague,
            model=Company,
            data={
                "name": "Quokka Wombat Holdings",
                "website": "https://hidden-co.example",
                "emails": HIDDEN_COMPANY_EMAIL,
                "phones": "+14155550178",
            },
        )
        contact = contact_services.record_create(
            actor=colleague,
            model=Contact,
            data={
                "first_name": "Quokka",
                "last_name": "Wombat",
                "position": "Quokka buyer",
                "emails": HIDDEN_EMAIL,
                "phones": HIDDEN_PHONE,
                "company": company,
            },
        )
        deal = deal_services.deal_create(
            actor=colleague,
            data={
                "title": "Quokka Wombat deal",
                "amount": 777,
                "contacts": [contact],
                "source": "Quokka fair",
            },  # the dashboard's lead sources name it
        )
        item = deal_services.line_item_add(
            actor=colleague, deal=deal, name="Quokka licence", quantity=1, price=777
        )
        attachment = deal_services.attachment_add(
            actor=colleague,
            deal=deal,
            upload=SimpleUploadedFile("quokka-terms.txt", b"Quokka terms"),
        )
        task = activity_services.task_create(
            actor=colleague,
            title="Call Quokka back",
            subject=deal,
            due_date=timezone.localdate(),
            all_day=True,
        )
        comment = activity_services.comment_add(
            actor=colleague,
            subject=deal,
            body=f"Quokka price agreed @[{viewer.user.get_full_name() or viewer.user.email}]",
        )
        note = activity_services.note_add(actor=colleague, subject=contact, body="Quokka note")
        segment = Segment.objects.create(
            object_type="contact", name="Quokka segment", owner=colleague.user, filters={}
        )
        job = import_create(
            actor=colleague,
            upload=SimpleUploadedFile(
                "quokka.csv", b"First name,Email\r\nQuokka,quokka-row@hidden-co.example\r\n"
            ),
        )
        feed, _raw = activity_services.calendar_feed_regenerate(actor=colleague)
        # The colleague's invoice for the deal (its client and line name the canary),
        # issued and partly paid.
        invoice = invoice_services.invoice_create_from_deal(actor=colleague, deal=deal)
        invoice_services.invoice_update(
            actor=colleague, invoice=invoice, data={"notes": "Quokka terms"}
        )
        invoice = invoice_services.invoice_issue(actor=colleague, invoice=invoice)
        payment = invoice_services.payment_record(
            actor=colleague, allocations=[(invoice, "100")], reference="Quokka transfer"
        )
        # The colleague's private report and folder, both naming the canary.
        report_folder = report_services.folder_save(actor=colleague, name="Quokka folder")
        report = report_services.report_create(
            actor=colleague, name="Quokka report", report_type="deals", folder=report_folder,
            definition={"columns": ["title"], "group_by": ["owner"]},
        )  # fmt: skip
        # The colleague's background export of it (its file name names the canary).
        report_export = ReportExport.objects.create(
            report=report, requested_by=colleague.user, file_name="Quokka-report.csv"
        )
        report_subscription = report_subscriptions.subscription_create(
            actor=colleague, report=report, data={"frequency": "daily", "time_of_day": "07:00"}
        )
        # The colleague's private dashboard, showing that report.
        board = report_boards.board_save(actor=colleague, name="Quokka board")
        board_widget = report_boards.widget_add(
            actor=colleague, board=board, report_id=report.pk, kind="table", title="Quokka"
        )
    s.records = {
        "company": company,
        "contact": contact,
        "deal": deal,
        "item": item,
        "attachment": attachment,
        "task": task,
        "comment": comment,
        "note": note,
        "segment": segment,
        "import": job,
        "feed": feed,
        "invoice": invoice,
        "payment": payment,
        "report": report,
        "report_folder": report_folder,
        "report_export": report_export,
        "report_subscription": report_subscription,
        "board": board,
        "board_widget": board_widget,
    }
    # The colleague's conversation with the hidden client, through the admin's channel.
    s.records["conversation"] = conversation_create(
        channel_create(admin, "Support bot"),
        "Quokka",
        text="Quokka wants a discount",
        assignee=colleague.user,
        contact=contact,
    )
    with tenant_scope(tenant, admin.user):
        from integrations import files as inbox_files
        from integrations.channels import File

        inbox_files.attach(
            s.records["conversation"].messages.first(),
            (File(name="quokka-price-list.txt", content_type="text/plain", data=b"Quokka"),),
        )
        s.records["inbox_attachment"] = s.records["conversation"].messages.first().attachments.get()
    with tenant_scope(tenant, colleague.user):
        # The colleague's own canned response, and a direct team chat with the admin.
        s.records["canned"] = canned.canned_create(
            actor=colleague, title="Quokka answer", text="Quokka price is 42", shared=False
        )
        s.records["team_room"] = team.direct_room(actor=colleague, other=admin.user)
        team.message_post(actor=colleague, room=s.records["team_room"], text="Quokka secret")
    with tenant_scope(tenant, viewer.user):
        own_contact = contact_services.record_create(
            actor=viewer, model=Contact, data={"first_name": "Visible", "last_name": "Client"}
        )
        own_deal = deal_services.deal_create(actor=viewer, data={"title": "Visible deal"})
    with tenant_scope(tenant, admin.user):
        # The admin links the viewer's contact to the colleague's deal and changes the deal:
        # the contact's card now has the hidden deal's events on its timeline.
        deal_services.deal_contact_set(actor=admin, deal=deal, contact=own_contact, role="buyer")
        # ... and links the colleague's contact and company to the viewer's own deal.
        deal_services.deal_contact_set(actor=admin, deal=own_deal, contact=contact, role="payer")
        deal_services.deal_update(actor=admin, deal=own_deal, data={"company": company})
        renewed = {"title": "Quokka deal, renewed", "expected_close": "2027-01-31"}
        deal_services.deal_update(actor=admin, deal=deal, data=renewed)
        dispatch_pending()
        s.records["deal"].refresh_from_db()
        # The admin's webhook, and a delivery of the colleague's deal's last change to it.
        endpoint, _secret = webhook_services.endpoint_create(
            actor=admin, url=f"{NOWHERE}/quokka", events=["deal.*"], description="Quokka hook"
        )
        webhook_delivery.record(Event.objects.filter(type="deal.updated").order_by("id").last())
        s.records["webhook"] = endpoint
        s.records["webhook_delivery"] = endpoint.deliveries.get()
        # The colleague's sales plan (the dashboard's plan vs fact and /api/v1/sales-plans/).
        s.records["sales_plan"] = report_plans.plan_save(
            actor=admin, period="month", start=timezone.localdate(), user=colleague.user,
            amount=777,
        )  # fmt: skip
    s.own = {"contact": own_contact, "deal": own_deal}
    return s
