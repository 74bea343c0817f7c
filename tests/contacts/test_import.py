"""Importing the client base from spreadsheets, end to end on the real database: upload,
mapping, preview, the task, duplicates, the errors file, the event, and the tenant wall."""

import csv
import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from contacts import services
from contacts.importer import loader
from contacts.importer.mapping import auto_map, clean_mapping
from contacts.importer.reader import ImportFileError
from contacts.importer.services import (
    import_create,
    import_jobs_for,
    import_preview,
    import_start,
)
from contacts.importer.validate import split_full_name
from contacts.models import Company, Contact, CustomField, ImportJob, ImportTemplate
from contacts.tasks import import_contacts
from crm.activity import dispatch
from crm.activity.models import Event, EventDelivery
from crm.tenancy.context import tenant_scope
from tests.conftest import add_member, make_user
from tests.contacts.conftest import new_company, new_contact
from tests.contacts.import_files import csv_bytes, upload, xlsx_bytes

pytestmark = pytest.mark.django_db

HEADERS = ["Имя", "Фамилия", "Телефон", "Эл. почта", "Компания", "Должность", "Сайт",
           "Ответственный", "Теги", "Дата рождения", "Источник"]  # fmt: skip


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def ru(ru_workspace):
    return ru_workspace[1]


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Upload `rows` as a file, start it with the guessed (or given) mapping, run the task."""

    def run(owner, rows, *, policy=ImportJob.SKIP, mapping=None, data=None, name="c.xlsx",
            template=""):  # fmt: skip
        with tenant_scope(owner.tenant_id, owner.user):
            job = import_create(actor=owner, upload=upload(data or xlsx_bytes(rows), name))
            with django_capture_on_commit_callbacks(execute=True):
                import_start(
                    actor=owner, job=job, mapping=mapping or job.mapping,
                    duplicate_policy=policy, save_template_as=template,
                )  # fmt: skip
            job.refresh_from_db()
        return job

    return run


def contacts(owner):
    with tenant_scope(owner.tenant_id):
        return list(Contact.objects.select_related("company", "owner").order_by("id"))


def counts(job):
    return job.created, job.updated, job.skipped, job.failed


def errors_rows(job):
    raw = job.errors_file.open("rb").read()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM, so Excel reads UTF-8
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


# --- the happy path ----------------------------------------------------------------------


def test_russian_headers_are_mapped_and_values_normalised(ru, run):
    manager = add_member(ru.tenant_id, user=make_user(email="Olga@Example.com"))
    rows = [
        HEADERS,
        ["Иван", "Петров", "8 (916) 123-45-67", "Ivan@Example.RU", "ООО Ромашка", "Директор",
         "www.romashka.ru", "olga@example.com", "vip, опт", datetime.date(1985, 3, 1),
         "Выставка"],
        ["Мария", "Сидорова", "+7 903 000-11-22; 8 495 123 45 67", "", "ООО Ромашка", "", "", "",
         "", "17.05.1990", ""],
    ]  # fmt: skip
    job = run(ru, rows)

    assert job.status == ImportJob.DONE, job.error
    assert job.mapping == {
        "0": "first_name", "1": "last_name", "2": "phones", "3": "emails", "4": "company",
        "5": "position", "6": "company_website", "7": "owner", "8": "tags", "9": "birthday",
        "10": "source",
    }  # fmt: skip
    assert counts(job) == (2, 0, 0, 0)
    assert (job.total, job.processed, job.progress) == (2, 2, 100)
    ivan, maria = contacts(ru)
    assert ivan.phones == ["+79161234567"]
    assert ivan.emails == ["ivan@example.ru"]
    assert ivan.owner_id == manager.user_id
    assert ivan.tags == ["vip", "опт"]
    assert ivan.birthday == datetime.date(1985, 3, 1)
    assert ivan.position == "Директор" and ivan.source == "Выставка"
    assert ivan.company.name == "ООО Ромашка" and ivan.company.domain == "romashka.ru"
    assert ivan.company.website == "https://www.romashka.ru"
    assert maria.company_id == ivan.company_id  # one company made for both rows
    assert maria.phones == ["+79030001122", "+74951234567"]
    assert maria.birthday == datetime.date(1990, 5, 17)
    assert maria.owner_id == ru.user_id  # no owner in the file: the one who imports
    for contact in (ivan, maria):
        assert contact.search == services.search_text(contact)
    with tenant_scope(ru.tenant_id):
        company = Company.objects.get()
        assert company.search == services.search_text(company)


def test_csv_in_windows_1251_with_semicolons(ru, run):
    rows = [["ФИО", "Телефон", "E-mail"], ["Петров Иван Сергеевич", "89161234567", "a@b.ru"]]
    job = run(ru, None, data=csv_bytes(rows, "cp1251", ";"), name="clients.csv")
    assert job.status == ImportJob.DONE, job.error
    (contact,) = contacts(ru)
    assert (contact.last_name, contact.first_name, contact.middle_name) == (
        "Петров", "Иван", "Сергеевич",
    )  # fmt: skip
    assert contact.phones == ["+79161234567"] and contact.emails == ["a@b.ru"]


@pytest.mark.parametrize(
    ("raw", "parts"),
    [
        ("Иванов Иван Иванович", ("Иван", "Иванович", "Иванов")),
        ("Иван Иванович Иванов", ("Иван", "Иванович", "Иванов")),
        ("Петрова Анна", ("Анна", "", "Петрова")),
        ("Анна Петрова", ("Анна", "", "Петрова")),
        ("John Smith", ("John", "", "Smith")),
        ("John Ronald Tolkien", ("John", "Ronald", "Tolkien")),
        ("Smith, John", ("John", "", "Smith")),
        ("Cher", ("Cher", "", "")),
    ],
)
def test_full_name_split(raw, parts):
    assert split_full_name(raw) == parts


def test_custom_fields_by_key_or_label(ru, run):
    with tenant_scope(ru.tenant_id):
        CustomField.objects.create(object_type="contact", key="budget", label="Бюджет",
                                   field_type=CustomField.NUMBER)  # fmt: skip
        CustomField.objects.create(object_type="contact", key="since", label="Клиент с",
                                   field_type=CustomField.DATE)  # fmt: skip
        CustomField.objects.create(object_type="contact", key="size", label="Size",
                                   field_type=CustomField.SELECT, options=["S", "M"])  # fmt: skip
    rows = [
        ["Email", "Бюджет", "Клиент с", "size"],
        ["a@x.io", "1 500,5", "01.02.2020", "M"],
        ["b@x.io", "много", "", "XL"],
    ]
    job = run(ru, rows)
    assert job.mapping == {"0": "emails", "1": "custom.budget", "2": "custom.since",
                           "3": "custom.size"}  # fmt: skip
    assert counts(job) == (1, 0, 0, 1)
    (contact,) = contacts(ru)
    assert contact.custom == {"budget": 1500.5, "since": "2020-02-01", "size": "M"}
    _header, failed = errors_rows(job)
    assert "Бюджет:" in failed[-1] and "size:" in failed[-1]


# --- bad rows ----------------------------------------------------------------------------


def test_invalid_rows_fail_with_their_reason_and_the_rest_import(ru, run, other_workspace):
    _, stranger = other_workspace
    rows = [
        ["Name", "Email", "Phone", "Owner", "Birthday"],
        ["Good One", "good@example.com", "+7 916 000 00 01", "", ""],
        ["Bad Email", "not-an-email", "", "", ""],
        ["Bad Phone", "", "12", "", ""],
        ["Stranger", "x@example.com", "", stranger.user.email, ""],
        ["Bad Date", "d@example.com", "", "", "31.02.2020"],
        ["", "", "", "", "01.01.1990"],
        ["Good Two", "", "+7 916 000 00 02", "", ""],
    ]
    job = run(ru, rows)
    assert job.status == ImportJob.DONE, job.error
    assert counts(job) == (2, 0, 0, 5)
    assert [c.first_name for c in contacts(ru)] == ["Good", "Good"]
    table = errors_rows(job)
    assert table[0] == ["Name", "Email", "Phone", "Owner", "Birthday", "reason"]
    reasons = {row[0]: row[-1] for row in table[1:]}
    assert reasons == {
        "Bad Email": "Email: “not-an-email” is not an email address.",
        "Bad Phone": "Phone: “12” is not a phone number.",
        "Stranger": f"Owner: “{stranger.user.email}” is not a member of this workspace.",
        "Bad Date": "Birthday: “31.02.2020” is not a date.",
        "": "The row has no name, email or phone.",
    }
    assert table[1][:3] == ["Bad Email", "not-an-email", ""]  # the row as it was given


def test_errors_file_defuses_formulas(ru, run):
    rows = [["Name", "Email"], ['=HYPERLINK("http://evil")', "bad"], ["Ok", "ok@x.io"]]
    job = run(ru, None, data=csv_bytes(rows), name="c.csv")
    assert errors_rows(job)[1][0] == '\'=HYPERLINK("http://evil")'


# --- duplicates --------------------------------------------------------------------------


@pytest.fixture
def existing(ru):
    company = new_company(ru, name="Acme")
    return new_contact(
        ru, first_name="Ivan", last_name="Old", emails="ivan@acme.com", phones="+79160000001",
        tags="old", position="", custom={}, company=company,
    )  # fmt: skip


FILE = [
    ["First name", "Last name", "Email", "Phone", "Position", "Tags"],
    ["Ivan", "New", "IVAN@acme.com", "+7 916 000 00 09", "CEO", "new"],  # existing, by email
    ["Vanya", "", "", "8 916 000 00 01", "", ""],  # existing, by phone
    ["Petr", "Fresh", "petr@x.io", "", "", ""],  # new
]


def test_policy_skip(ru, run, existing):
    job = run(ru, FILE, policy=ImportJob.SKIP)
    assert counts(job) == (1, 0, 2, 0)
    old = next(c for c in contacts(ru) if c.pk == existing.pk)
    assert (old.last_name, old.phones, old.tags) == ("Old", ["+79160000001"], ["old"])
    assert len(contacts(ru)) == 2


def test_policy_update_fills_fields_and_unites_lists(ru, run, existing):
    job = run(ru, FILE, policy=ImportJob.UPDATE)
    # both matching rows hit the same contact: one update; the other row counts as skipped
    assert counts(job) == (1, 1, 1, 0)
    old = next(c for c in contacts(ru) if c.pk == existing.pk)
    assert old.first_name == "Ivan"  # the first row's value wins over "Vanya"
    assert old.last_name == "New" and old.position == "CEO"
    assert old.emails == ["ivan@acme.com"]
    assert old.phones == ["+79160000001", "+79160000009"]
    assert old.tags == ["old", "new"]
    assert old.company.name == "Acme"  # the file names no company: kept
    assert old.search == services.search_text(old)
    assert len(contacts(ru)) == 2


def test_rows_reaching_one_contact_by_email_and_by_name_update_it_once(ru, run, existing):
    rows = [
        ["First name", "Last name", "Email", "Company", "Position", "Tags"],
        ["", "", "ivan@acme.com", "", "CEO", "a"],  # by email
        ["Ivan", "Old", "", "Acme", "", "b"],  # no email or phone: by name and company
    ]
    job = run(ru, rows, policy=ImportJob.UPDATE)
    assert counts(job) == (0, 1, 1, 0)
    (old,) = contacts(ru)
    assert old.position == "CEO" and old.tags == ["old", "a", "b"]


def test_policy_create_anyway(ru, run, existing):
    job = run(ru, FILE, policy=ImportJob.CREATE)
    assert counts(job) == (3, 0, 0, 0)
    assert len(contacts(ru)) == 4


@pytest.mark.parametrize("policy", [ImportJob.SKIP, ImportJob.UPDATE])
def test_running_the_same_file_again_creates_no_duplicates(ru, run, policy):
    rows = [
        ["Name", "Email", "Phone", "Company"],
        ["Ann Lee", "ann@x.io", "", "Acme"],
        ["Bob Ray", "", "+1 202 555 0100", ""],
        ["Nameonly Person", "", "", "Acme"],
        ["Lone Wolf", "", "", ""],
    ]
    first = run(ru, rows, policy=policy)
    assert counts(first) == (4, 0, 0, 0)
    before = [(c.pk, c.search) for c in contacts(ru)]
    again = run(ru, rows, policy=policy)
    assert again.created == 0 and again.skipped == 4  # nothing to change: skipped
    assert [(c.pk, c.search) for c in contacts(ru)] == before
    with tenant_scope(ru.tenant_id):
        assert Company.objects.count() == 1


def test_rows_of_the_file_that_are_one_client_become_one_record(ru, run):
    rows = [
        ["Name", "Email", "Phone", "Tags"],
        ["Ann Lee", "ann@x.io", "", "a"],
        ["", "ANN@x.io", "+7 916 111 11 11", "b"],  # same email
        ["Ann L.", "ann.work@x.io", "8 916 111-11-11", "c"],  # same phone as row 2
        ["Other", "other@x.io", "", ""],
    ]
    job = run(ru, rows, policy=ImportJob.CREATE)
    assert counts(job) == (2, 0, 2, 0)
    ann, _other = contacts(ru)
    assert ann.first_name == "Ann" and ann.last_name == "Lee"
    assert ann.emails == ["ann@x.io", "ann.work@x.io"]
    assert ann.phones == ["+79161111111"]
    assert ann.tags == ["a", "b", "c"]
    with tenant_scope(ru.tenant_id):
        event = Event.objects.get(type="import.completed")
    assert event.data["merged_in_file"] == 2


def test_companies_are_matched_by_name_or_domain(ru, run):
    acme = new_company(ru, name="Acme", website="https://acme.com")
    rows = [
        ["Email", "Company", "Website"],
        ["a@x.io", "ACME", ""],  # by name, case-insensitive
        ["b@x.io", "Acme International", "http://www.acme.com/about"],  # by domain
        ["c@x.io", "New Co", ""],
        ["d@x.io", "new co", ""],
        ["e@x.io", "", "globex.com"],
    ]
    job = run(ru, rows)
    assert counts(job) == (5, 0, 0, 0)
    a, b, c, d, e = contacts(ru)
    assert a.company_id == acme.pk and b.company_id == acme.pk
    assert c.company_id == d.company_id != acme.pk
    assert c.company.name == "New Co"
    assert e.company.name == "globex.com" and e.company.domain == "globex.com"
    assert "acme" in a.search  # the company's name as stored
    with tenant_scope(ru.tenant_id):
        assert Company.objects.count() == 3


def test_owner_is_matched_among_members_only(ru, run, other_workspace):
    member = add_member(ru.tenant_id, user=make_user(email="member@x.io"))
    _, stranger = other_workspace
    rows = [["Email", "Owner"], ["a@x.io", "MEMBER@x.io"], ["b@x.io", stranger.user.email]]
    job = run(ru, rows)
    assert counts(job) == (1, 0, 0, 1)
    (contact,) = contacts(ru)
    assert contact.owner_id == member.user_id


# --- the job -----------------------------------------------------------------------------


def test_one_event_with_the_counts_and_one_for_the_contacts_created(ru, run):
    rows = [["Email"], *[[f"u{i}@x.io"] for i in range(30)], ["bad"]]
    job = run(ru, rows)
    with tenant_scope(ru.tenant_id):
        events = list(Event.objects.filter(subject_type="importjob").order_by("id"))
        created = sorted(Contact.objects.values_list("id", flat=True))
    assert [e.type for e in events] == ["import.completed", "contact.imported"]
    completed, imported = events
    assert completed.subject_id == job.pk and completed.actor_id == ru.user_id
    assert completed.data["created"] == 30 and completed.data["failed"] == 1
    ids = [i for first, last in imported.data["ids"] for i in range(first, last + 1)]
    assert ids == created and len(ids) == 30


def test_a_consumer_of_contact_created_sees_each_imported_contact(ru, run, monkeypatch):
    seen = []
    monkeypatch.setitem(dispatch.CONSUMERS, "test_created", lambda e: seen.append(e))
    monkeypatch.setitem(dispatch.SUBSCRIPTIONS, "test_created", frozenset(["contact.created"]))
    run(ru, [["Email"], ["a@x.io"], ["b@x.io"], ["c@x.io"]])
    with tenant_scope(ru.tenant_id):
        created = sorted(Contact.objects.values_list("id", flat=True))
        batch = Event.objects.get(type="contact.imported")
        delivered = EventDelivery.objects.filter(consumer="test_created")
        assert list(delivered.values_list("event_id", flat=True)) == [batch.pk]
    assert [(e.type, e.subject_type) for e in seen] == [("contact.created", "contact")] * 3
    assert sorted(e.subject_id for e in seen) == created
    assert {e.actor_id for e in seen} == {ru.user_id}


def test_status_guard_a_second_run_does_nothing(ru, run):
    job = run(ru, [["Email"], ["a@x.io"]])
    assert job.status == ImportJob.DONE
    import_contacts(ru.tenant_id, job.pk)  # a redelivered task
    assert len(contacts(ru)) == 1
    with tenant_scope(ru.tenant_id):
        uploaded = import_create(actor=ru, upload=upload(xlsx_bytes([["Email"], ["b@x.io"]])))
    import_contacts(ru.tenant_id, uploaded.pk)  # never started: not queued
    with tenant_scope(ru.tenant_id):
        uploaded.refresh_from_db()
    assert uploaded.status == ImportJob.UPLOADED
    assert len(contacts(ru)) == 1


def test_start_twice_is_refused(ru, run):
    job = run(ru, [["Email"], ["a@x.io"]])
    with tenant_scope(ru.tenant_id), pytest.raises(ValidationError):
        import_start(actor=ru, job=job, mapping=job.mapping, duplicate_policy="skip")


def test_a_failure_in_the_merge_changes_nothing(ru, run, existing, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(loader, "_insert", boom)  # after the updates, before the inserts
    job = run(ru, FILE, policy=ImportJob.UPDATE)
    assert job.status == ImportJob.FAILED
    assert "nothing was changed" in job.error and "RuntimeError" in job.error
    (old,) = contacts(ru)
    assert (old.last_name, old.phones) == ("Old", ["+79160000001"])
    with tenant_scope(ru.tenant_id):
        assert Company.objects.count() == 1
        assert not Event.objects.filter(type="import.completed").exists()


def test_a_file_that_went_bad_fails_the_job_with_its_reason(ru, django_capture_on_commit_callbacks):
    with tenant_scope(ru.tenant_id, ru.user):
        job = import_create(actor=ru, upload=upload(xlsx_bytes([["Email"], ["a@x.io"]])))
        with open(job.file.path, "wb") as f:
            f.write(b"")
        with django_capture_on_commit_callbacks(execute=True):
            import_start(actor=ru, job=job, mapping=job.mapping, duplicate_policy="skip")
        job.refresh_from_db()
    assert job.status == ImportJob.FAILED
    assert job.error == "The file is empty."
    assert contacts(ru) == []


def test_bad_files_are_refused_before_a_job_exists(ru):
    with tenant_scope(ru.tenant_id), pytest.raises(ImportFileError) as err:
        import_create(actor=ru, upload=upload(b"Name\r\n", "c.csv"))
    assert err.value.code == "header_only"
    with tenant_scope(ru.tenant_id):
        assert not ImportJob.objects.exists()


def test_a_role_without_create_cannot_import(workspace):
    tenant, _owner = workspace
    accountant = add_member(tenant, role_key="accountant")
    with tenant_scope(tenant), pytest.raises(PermissionDenied):
        import_create(actor=accountant, upload=upload(xlsx_bytes([["Email"], ["a@x.io"]])))


def test_update_policy_needs_edit_rights(workspace):
    tenant, owner = workspace
    with tenant_scope(tenant):
        job = import_create(actor=owner, upload=upload(xlsx_bytes([["Email"], ["a@x.io"]])))
        role = owner.role
        role.grants["contact"]["actions"] = ["view", "create"]
        role.save()
        with pytest.raises(PermissionDenied):
            import_start(actor=owner, job=job, mapping=job.mapping, duplicate_policy="update")


# --- mapping, templates, preview ---------------------------------------------------------


def test_auto_map_english_and_russian_synonyms():
    headers = [
        "E-mail", "Mobile phone", "Work Email", "Телефон (рабочий)", "Full name",
        "Организация", "Job title", "utm_source", "UTM Campaign", "Ф.И.О.", "Notes",
    ]  # fmt: skip
    assert auto_map(headers, custom={}) == {
        0: "emails", 1: "phones", 2: "emails", 3: "phones", 4: "full_name", 5: "company",
        6: "position", 7: "utm_source", 8: "utm_campaign",
    }  # fmt: skip


def test_mapping_is_checked():
    headers = ["A", "B", "C"]
    with pytest.raises(ValidationError) as err:
        clean_mapping({"0": "position", "1": "position", "2": "nonsense"}, headers, {})
    messages = err.value.message_dict["mapping"]
    assert "“A” and “B” both go to the same field." in messages
    assert "“nonsense” is not a field you can import into." in messages
    with pytest.raises(ValidationError) as err:
        clean_mapping({"0": "position"}, headers, {})
    assert "Choose a column for the name, the email or the phone." in str(err.value)
    assert clean_mapping({"0": "emails", "2": "emails", "1": ""}, headers, {}) == {
        0: "emails", 2: "emails",
    }  # fmt: skip


def test_a_saved_template_is_applied_by_header_names(ru, run):
    rows = [["Kontakt", "Handy", "Firma"], ["Hans Meier", "+49 30 1234567", "ACME GmbH"]]
    mapping = {"0": "full_name", "1": "phones", "2": "company"}
    run(ru, rows, mapping=mapping, template="German CRM export")
    with tenant_scope(ru.tenant_id):
        template = ImportTemplate.objects.get(name="German CRM export")
        assert template.mapping == {"Kontakt": "full_name", "Handy": "phones", "Firma": "company"}
        shuffled = [["Firma", "Kontakt", "Handy", "E-mail"], ["X", "Y Z", "", "y@z.io"]]
        job = import_create(actor=ru, upload=upload(xlsx_bytes(shuffled)))
    assert job.mapping == {"0": "company", "1": "full_name", "2": "phones", "3": "emails"}


def test_preview_shows_values_and_errors(ru):
    rows = [
        ["Имя", "Телефон", "Эл. почта"],
        ["Иван", "8 916 123 45 67", "I@X.RU"],
        ["Пётр", "abc", "p@x.ru"],
        *[[f"n{i}", "", f"n{i}@x.ru"] for i in range(30)],
    ]
    with tenant_scope(ru.tenant_id):
        job = import_create(actor=ru, upload=upload(xlsx_bytes(rows)))
        result = import_preview(job, limit=5)
        assert len(result["rows"]) == 5
        first, second = result["rows"][:2]
        assert first == {
            "line": 2,
            "cells": ["Иван", "8 916 123 45 67", "I@X.RU"],
            "values": {"first_name": "Иван", "phones": "+79161234567", "emails": "i@x.ru"},
            "errors": [],
        }
        assert second["errors"] == ["Телефон: “abc” is not a phone number."]
        assert ("emails", "Email") in result["fields"]
        other = import_preview(job, limit=1, mapping={"0": "last_name"})
        assert other["rows"][0]["values"] == {"last_name": "Иван"}


# --- the tenant wall ---------------------------------------------------------------------


def test_a_job_of_one_workspace_is_invisible_to_another(ru, run, other_workspace):
    job = run(ru, [["Email"], ["a@x.io"]])
    other_tenant, other_owner = other_workspace
    with tenant_scope(other_tenant):
        assert not ImportJob.objects.filter(pk=job.pk).exists()
        assert not import_jobs_for(other_owner).filter(pk=job.pk).exists()
        assert not ImportJob.all_tenants.filter(pk=job.pk).exists()  # RLS
        with pytest.raises(PermissionDenied):
            import_start(actor=other_owner, job=job, mapping={"0": "emails"},
                         duplicate_policy="skip")  # fmt: skip
    # a task sent with the other tenant's id cannot reach the job either
    with tenant_scope(ru.tenant_id):
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.QUEUED)
    import_contacts(other_tenant.pk, job.pk)
    with tenant_scope(ru.tenant_id):
        assert ImportJob.objects.get(pk=job.pk).status == ImportJob.QUEUED
    with tenant_scope(other_tenant):
        assert not Contact.objects.exists()


def test_matching_never_crosses_workspaces(ru, run, other_workspace):
    _, other_owner = other_workspace
    theirs = new_contact(other_owner, first_name="Theirs", emails="shared@x.io")
    job = run(ru, [["Email", "Name"], ["shared@x.io", "Mine"]], policy=ImportJob.UPDATE)
    assert counts(job) == (1, 0, 0, 0)
    with tenant_scope(other_owner.tenant_id):
        assert Contact.objects.get(pk=theirs.pk).first_name == "Theirs"


def test_members_see_their_own_imports_managers_all(ru, run):
    manager = add_member(ru.tenant_id, role_key="manager")
    job = run(ru, [["Email"], ["a@x.io"]])
    with tenant_scope(ru.tenant_id):
        assert list(import_jobs_for(ru)) == [job]
        assert list(import_jobs_for(manager)) == []
