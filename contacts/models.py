"""The client base: companies, their contact persons and private clients, custom fields."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.tenancy.models import TenantModel


def _array(max_length):
    return ArrayField(models.CharField(max_length=max_length), default=list, blank=True)


class CustomField(TenantModel):
    """An admin-defined field of companies or contacts; values live in the record's
    `custom` JSONB under `key`."""

    TEXT, NUMBER, MONEY, DATE = "text", "number", "money", "date"
    SELECT, MULTISELECT, CHECKBOX, URL = "select", "multiselect", "checkbox", "url"
    TYPES = [
        (TEXT, _("Text")),
        (NUMBER, _("Number")),
        (MONEY, _("Money")),
        (DATE, _("Date")),
        (SELECT, _("Select")),
        (MULTISELECT, _("Multi-select")),
        (CHECKBOX, _("Checkbox")),
        (URL, _("URL")),
    ]
    OBJECT_TYPES = [("company", _("Company")), ("contact", _("Contact"))]
    # Deals carry custom values too (deals.services validates them against these).
    TARGETS = [*OBJECT_TYPES, ("deal", _("Deal"))]

    object_type = models.CharField(_("for"), max_length=20, choices=TARGETS)
    key = models.SlugField(_("key"), max_length=50)
    label = models.CharField(_("label"), max_length=80)
    field_type = models.CharField(_("type"), max_length=20, choices=TYPES, default=TEXT)
    options = _array(100)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["object_type", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "object_type", "key"], name="customfield_unique_key"
            ),
        ]
        verbose_name = _("custom field")

    def __str__(self):
        return self.label


class ClientRecord(TenantModel):
    """What companies and contacts share: owner, tags, channels, custom fields, activity."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    emails = _array(254)
    phones = _array(20)  # E.164
    tags = _array(50)
    custom = models.JSONField(default=dict, blank=True)
    # Lower-cased names, emails and phone digits, for typo-tolerant search (pg_trgm).
    search = models.TextField(default="", blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    last_activity_at = models.DateTimeField(_("last activity"), null=True, blank=True)
    last_purchase_at = models.DateTimeField(_("last purchase"), null=True, blank=True)

    class Meta:
        abstract = True


def client_indexes(prefix: str) -> list:
    # A list's pages are ordered by a column and then by id: the id in the index lets the
    # first page be read straight off it (no sort of every tied or NULL row), and "newest
    # first" per workspace is not a walk down the whole table's primary key, past the rows of
    # every other workspace written since.
    return [
        models.Index(fields=["tenant", "-id"], name=f"{prefix}_recent"),
        models.Index(fields=["tenant", "owner", "id"], name=f"{prefix}_owner"),
        models.Index(fields=["tenant", "-created_at"], name=f"{prefix}_created"),
        models.Index(fields=["tenant", "last_activity_at", "id"], name=f"{prefix}_activity"),
        GinIndex(fields=["tenant", "emails"], name=f"{prefix}_emails"),
        GinIndex(fields=["tenant", "phones"], name=f"{prefix}_phones"),
        GinIndex(fields=["tenant", "tags"], name=f"{prefix}_tags"),
        GinIndex(
            fields=["tenant", "search"],
            opclasses=["int8_ops", "gin_trgm_ops"],
            name=f"{prefix}_search",
        ),
        GinIndex(
            fields=["tenant", "custom"],
            opclasses=["int8_ops", "jsonb_path_ops"],
            name=f"{prefix}_custom",
        ),
    ]


class Company(ClientRecord):
    name = models.CharField(_("name"), max_length=200)
    legal_name = models.CharField(_("legal name"), max_length=250, blank=True)
    tax_number = models.CharField(_("tax number"), max_length=40, blank=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    website = models.URLField(_("website"), max_length=250, blank=True)
    domain = models.CharField(_("domain"), max_length=200, blank=True, editable=False)
    address = models.TextField(_("address"), blank=True)

    event_subject_type = "company"

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            *client_indexes("company"),
            models.Index(fields=["tenant", "domain"], name="company_domain"),
            models.Index(fields=["tenant", "name"], name="company_name"),
        ]
        verbose_name = _("company")
        verbose_name_plural = _("companies")

    def __str__(self):
        return self.name


class Contact(ClientRecord):
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    middle_name = models.CharField(_("middle name"), max_length=100, blank=True)
    company = models.ForeignKey(
        Company,
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
    )
    position = models.CharField(_("position"), max_length=120, blank=True)
    telegram = models.CharField(_("Telegram"), max_length=64, blank=True)
    whatsapp = models.CharField(_("WhatsApp"), max_length=20, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    source = models.CharField(_("lead source"), max_length=80, blank=True)
    utm_source = models.CharField(max_length=200, blank=True)
    utm_medium = models.CharField(max_length=200, blank=True)
    utm_campaign = models.CharField(max_length=200, blank=True)
    utm_term = models.CharField(max_length=200, blank=True)
    utm_content = models.CharField(max_length=200, blank=True)

    event_subject_type = "contact"

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        indexes = [
            *client_indexes("contact"),
            models.Index(fields=["tenant", "company"], name="contact_company"),
            models.Index(fields=["tenant", "last_name", "first_name"], name="contact_name"),
        ]
        verbose_name = _("contact")

    def __str__(self):
        return self.full_name or (self.emails[0] if self.emails else f"#{self.pk}")

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.middle_name, self.last_name) if p)


class Segment(TenantModel):
    """A saved list filter (the query parameters of a list), private or shared."""

    object_type = models.CharField(max_length=20, choices=CustomField.OBJECT_TYPES)
    name = models.CharField(_("name"), max_length=120)
    filters = models.JSONField(default=dict, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    shared = models.BooleanField(_("shared with the workspace"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["tenant", "object_type", "owner"], name="segment_owner")]
        verbose_name = _("segment")

    def __str__(self):
        return self.name


class ImportTemplate(TenantModel):
    """A column mapping saved for spreadsheets of the same shape: {header: field}."""

    object_type = models.CharField(max_length=20, choices=CustomField.OBJECT_TYPES)
    name = models.CharField(_("name"), max_length=120)
    mapping = models.JSONField(default=dict)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "object_type", "name"], name="importtemplate_unique_name"
            ),
        ]

    def __str__(self):
        return self.name


class ImportJob(TenantModel):
    """One spreadsheet brought into the base: uploaded, mapped, previewed, run by a worker."""

    UPLOADED, QUEUED, RUNNING, DONE, FAILED = "uploaded", "queued", "running", "done", "failed"
    STATUSES = [
        (UPLOADED, _("Uploaded")),
        (QUEUED, _("Queued")),
        (RUNNING, _("Running")),
        (DONE, _("Done")),
        (FAILED, _("Failed")),
    ]
    SKIP, UPDATE, CREATE = "skip", "update", "create"
    POLICIES = [
        (SKIP, _("Skip the row")),
        (UPDATE, _("Update the existing record")),
        (CREATE, _("Create a new record anyway")),
    ]

    object_type = models.CharField(
        max_length=20, choices=CustomField.OBJECT_TYPES, default="contact"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    file = models.FileField(upload_to="imports/%Y/%m/")  # the working copy (reader.py)
    # An uploaded CSV as it came, until the job starts: read again in another encoding
    # when the person chooses one (`encoding` is the one read).
    source = models.FileField(upload_to="imports/%Y/%m/", blank=True)
    encoding = models.CharField(max_length=40, blank=True)
    original_name = models.CharField(max_length=255)
    headers = models.JSONField(default=list, blank=True)
    mapping = models.JSONField(default=dict, blank=True)  # {column index: field name}
    duplicate_policy = models.CharField(max_length=10, choices=POLICIES, default=SKIP)
    status = models.CharField(max_length=10, choices=STATUSES, default=UPLOADED)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    errors_file = models.FileField(upload_to="imports/%Y/%m/", blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="importjob_recent")]

    def __str__(self):
        return self.original_name

    @property
    def progress(self) -> int:
        return int(100 * self.processed / self.total) if self.total else 0
