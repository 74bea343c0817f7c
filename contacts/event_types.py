"""The client base's events: contacts and companies, custom fields and imports."""

from django.utils.translation import gettext_lazy as _

from crm.activity.catalogue import MANAGERS, MEMBERS, declare


def declare_all() -> None:
    for kind, labels in (
        ("contact", (_("Contact created"), _("Contact changed"), _("Contact deleted"),
                     _("Contacts merged"))),
        ("company", (_("Company created"), _("Company changed"), _("Company deleted"),
                     _("Companies merged"))),
    ):  # fmt: skip
        created, updated, deleted, merged = labels
        declare(f"{kind}.created", created, subject=kind)
        declare(f"{kind}.updated", updated, subject=kind, payload=("changes",))
        declare(f"{kind}.deleted", deleted, subject=kind)
        declare(f"{kind}.merged", merged, subject=kind, payload=("changes", "merged"))
    declare("contact.imported", _("Contacts imported"), subject="importjob",
            expands_to="contact.created", audience=MANAGERS)  # fmt: skip
    declare(
        "custom_field.saved",
        _("Custom field saved"),
        subject="customfield",
        payload=("changes",),
        audience=MEMBERS,
    )
    declare(
        "custom_field.deleted",
        _("Custom field deleted"),
        subject="customfield",
        payload=("changes", "key", "label"),
        audience=MEMBERS,
    )
    declare("import.completed", _("Import completed"), subject="importjob",
            payload=("object_type", "file", "duplicate_policy", "total", "created", "updated",
                     "skipped", "failed", "merged_in_file", "unchanged", "companies_created"),
            audience=MANAGERS)  # fmt: skip
