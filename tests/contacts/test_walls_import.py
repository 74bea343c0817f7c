"""The import and the wall between members of one workspace: a member whose role shows
"own" records (the built-in "manager") neither updates nor takes a colleague's clients, nor
learns from the counts that they exist; an admin still matches every record, and another
workspace's records are never matched."""

import pytest

from contacts import selectors, services
from contacts.importer.services import import_create, import_start
from contacts.models import Contact, ImportJob
from contacts.tasks import import_contacts
from crm.accounts.models import Department, Membership
from crm.activity.models import Event
from crm.tenancy.context import tenant_scope
from tests.conftest import add_member
from tests.contacts.conftest import new_company, new_contact
from tests.contacts.import_files import csv_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Upload `rows` as CSV as `member`, start it with `policy`, run the task; the job and
    its event's data."""

    def run(member, rows, policy=ImportJob.UPDATE):
        with tenant_scope(member.tenant_id, member.user):
            job = import_create(actor=member, upload=upload(csv_bytes(rows), "c.csv"))
            with django_capture_on_commit_callbacks(execute=True):
                import_start(actor=member, job=job, mapping=job.mapping, duplicate_policy=policy)
            job.refresh_from_db()
            event = Event.objects.filter(subject_type="importjob", subject_id=job.pk).first()
        return job, (event.data if event else {})

    return run


def counts(job):
    return job.created, job.updated, job.skipped, job.failed


def reload(record):
    with tenant_scope(record.tenant_id):
        return type(record).objects.get(pk=record.pk)


def visible_contacts(member):
    with tenant_scope(member.tenant_id):
        return list(selectors.contacts_for(member).order_by("id"))


# --- import ------------------------------------------------------------------------------

ROW = ["Email", "Phone", "First name", "Last name", "Position", "Owner", "Tags"]


def test_update_never_touches_or_takes_a_colleagues_contact(team, colleagues_client, run):
    _, mia, carl = team
    _, vera = colleagues_client
    rows = [ROW, ["VERA@secret.example", "", "Mia's", "Lead", "Intern", "mia@example.com", "x"]]
    job, data = run(mia, rows)

    assert job.status == ImportJob.DONE, job.error
    assert counts(job) == (1, 0, 0, 0)  # a new record of Mia's; Vera is not "updated"
    assert data["unchanged"] == 0 and data["updated"] == 0
    after = reload(vera)
    assert (after.first_name, after.last_name, after.position) == ("Vera", "Hidden", "CFO")
    assert after.owner_id == carl.user_id and after.tags == ["carls"]
    (mine,) = visible_contacts(mia)
    assert mine.pk != vera.pk and mine.first_name == "Mia's" and mine.owner_id == mia.user_id


def test_skip_counts_do_not_reveal_a_colleagues_email_or_phone(team, colleagues_client, run):
    _, mia, _ = team
    rows = [ROW, ["vera@secret.example", "", "A", "", "", "", ""],
            ["", "+1 415 555 0199", "B", "", "", "", ""]]  # fmt: skip
    job, _data = run(mia, rows, policy=ImportJob.SKIP)
    assert counts(job) == (2, 0, 0, 0)  # as if the base had neither


def test_a_row_with_only_a_name_is_not_matched_with_a_colleagues_contact(
    team, colleagues_client, run
):
    _, mia, _ = team
    company = new_company(mia, name="Open Co")
    with tenant_scope(mia.tenant_id):
        # Carl's contact at a company Mia can see, matched by name + company otherwise.
        theirs = services.record_create(
            actor=team[2], model=Contact, data={"first_name": "Ann", "company": company}
        )
    job, _data = run(mia, [["First name", "Company", "Position"], ["Ann", "Open Co", "Boss"]])
    assert counts(job) == (1, 0, 0, 0)
    assert reload(theirs).position == ""


def test_companies_are_matched_only_among_those_the_importer_sees(team, colleagues_client, run):
    _, mia, _ = team
    secret, _vera = colleagues_client
    mine = new_company(mia, name="Mine Ltd")
    rows = [["Email", "Company", "Website"],
            ["a@x.example", "SECRET INDUSTRIES", ""],  # a colleague's company, by name
            ["b@x.example", "Other name", "https://www.secret.example"],  # by domain
            ["c@x.example", "mine ltd", ""]]  # fmt: skip
    job, data = run(mia, rows)

    assert counts(job) == (3, 0, 0, 0)
    assert data["companies_created"] == 2  # as if Carl's company did not exist
    a, b, c = visible_contacts(mia)
    assert secret.pk not in (a.company_id, b.company_id)
    assert a.company.owner_id == mia.user_id and a.company.name == "SECRET INDUSTRIES"
    assert b.company.domain == "secret.example" and b.company.owner_id == mia.user_id
    assert c.company_id == mine.pk
    with tenant_scope(mia.tenant_id):
        assert Contact.objects.filter(company=secret).count() == 1  # Vera alone


def test_the_importers_own_contacts_are_still_updated(team, colleagues_client, run):
    _, mia, _ = team
    own = new_contact(mia, first_name="Own", emails="own@x.example")
    job, _data = run(mia, [ROW, ["own@x.example", "", "", "", "Buyer", "", ""]])
    assert counts(job) == (0, 1, 0, 0)
    assert reload(own).position == "Buyer"


def test_an_admin_still_updates_every_contact_of_the_workspace(team, colleagues_client, run):
    admin, _, carl = team
    _, vera = colleagues_client
    job, _data = run(admin, [ROW, ["vera@secret.example", "", "", "", "CEO", "", ""]])
    assert counts(job) == (0, 1, 0, 0)
    assert reload(vera).position == "CEO" and reload(vera).owner_id == carl.user_id


def test_a_head_updates_the_departments_contacts_not_others(workspace, run):
    tenant, _admin = workspace
    with tenant_scope(tenant):
        sales = Department.objects.create(name="Sales")
    head = add_member(tenant, "head", department=sales)
    seller = add_member(tenant, "manager", department=sales)
    outsider = add_member(tenant, "manager")
    in_team = new_contact(seller, first_name="In", emails="in@x.example")
    outside = new_contact(outsider, first_name="Out", emails="out@x.example")
    rows = [ROW, ["in@x.example", "", "", "", "Seen", "", ""],
            ["out@x.example", "", "", "", "Unseen", "", ""]]  # fmt: skip
    job, _data = run(head, rows)
    assert counts(job) == (1, 1, 0, 0)
    assert reload(in_team).position == "Seen" and reload(outside).position == ""


def test_an_import_whose_member_left_fails_and_changes_nothing(
    team, colleagues_client, django_capture_on_commit_callbacks
):
    _, mia, _ = team
    with tenant_scope(mia.tenant_id, mia.user):
        file = upload(csv_bytes([["Email"], ["n@x.example"]]), "c.csv")
        job = import_create(actor=mia, upload=file)
        import_start(actor=mia, job=job, mapping=job.mapping, duplicate_policy=ImportJob.SKIP)
        Membership.objects.filter(pk=mia.pk).update(is_active=False)
    import_contacts(mia.tenant_id, job.pk)
    with tenant_scope(mia.tenant_id):
        job.refresh_from_db()
        assert job.status == ImportJob.FAILED and "no longer" in job.error
        assert not Contact.objects.filter(emails__contains=["n@x.example"]).exists()


def test_matching_still_never_crosses_workspaces(team, other_workspace, run):
    admin, _, _ = team
    _, stranger = other_workspace
    theirs = new_contact(stranger, first_name="Theirs", emails="shared@x.example")
    job, _data = run(admin, [ROW, ["shared@x.example", "", "Mine", "", "", "", ""]])
    assert counts(job) == (1, 0, 0, 0)
    assert reload(theirs).first_name == "Theirs"
