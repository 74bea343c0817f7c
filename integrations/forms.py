from django import forms
from django.utils.translation import gettext_lazy as _

from . import channels
from .models import Conversation

VIEWS = [("all", _("All")), ("mine", _("Mine")), ("unassigned", _("Unassigned")),
         ("unsorted", _("Unsorted"))]  # fmt: skip


class ChannelForm(forms.Form):
    """Adding a channel of one kind: its name, then the fields its adapter asks for
    (`Adapter.form_fields`); a secret field is a password input, never shown back."""

    kind = forms.ChoiceField(label=_("Kind"), choices=[], widget=forms.HiddenInput)
    name = forms.CharField(label=_("Name"), max_length=120)

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = channels.kinds()
        self.fields["kind"].initial = kind
        self.adapter = channels.get(kind)
        self.fields.update(self.adapter.form_fields())

    def raw_settings(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k not in ("kind", "name")}


class ReplyForm(forms.Form):
    # Not required here: a reply may be a file alone; the services say what is missing.
    text = forms.CharField(
        label=_("Message"), max_length=4096, required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )  # fmt: skip


class InboxFilter(forms.Form):
    view = forms.ChoiceField(label=_("Show"), choices=VIEWS, required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("Any status")), *Conversation.STATUSES],
        required=False,
    )
    channel = forms.TypedChoiceField(
        label=_("Channel"), choices=[("", _("Any channel"))], coerce=int, empty_value=None,
        required=False,
    )  # fmt: skip
    q = forms.CharField(
        label=_("Search"), max_length=200, required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name or text")}),
    )  # fmt: skip
    # How many rows the list shows ("Load more" asks for the next page's worth more).
    shown = forms.IntegerField(min_value=1, max_value=1000, required=False)

    def __init__(self, *args, channels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [("", _("Any channel")),
                                          *((c.pk, c.name) for c in channels)]  # fmt: skip


class CannedForm(forms.Form):
    """A canned response. `shared` is offered to those who manage the workspace only."""

    title = forms.CharField(label=_("Title"), max_length=120)
    text = forms.CharField(
        label=_("Text"), max_length=4096, widget=forms.Textarea(attrs={"rows": 4})
    )
    shared = forms.BooleanField(
        label=_("Shared with the workspace"),
        required=False,
        help_text=_("Otherwise only you see it."),
    )

    def __init__(self, *args, can_share: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_share:
            del self.fields["shared"]


class TeamMessageForm(forms.Form):
    text = forms.CharField(
        label=_("Message"), max_length=4096, widget=forms.Textarea(attrs={"rows": 2})
    )


WEEKDAYS = [("1", _("Mon")), ("2", _("Tue")), ("3", _("Wed")), ("4", _("Thu")), ("5", _("Fri")),
            ("6", _("Sat")), ("7", _("Sun"))]  # fmt: skip


def _keyword_lines(text: str) -> list[tuple[str, str]]:
    """ "keyword: answer", one a line; a line without the colon is a mistake to report."""
    rules = []
    for number, line in enumerate((text or "").splitlines(), 1):
        if not line.strip():
            continue
        keyword, colon, answer = line.partition(":")
        if not colon or not keyword.strip() or not answer.strip():
            raise forms.ValidationError(
                _("Line %(n)s: write a keyword, a colon, then the answer.") % {"n": number}
            )
        rules.append((keyword.strip()[:100], answer.strip()[:2000]))
    return rules


class AutoReplyForm(forms.Form):
    """A channel's automatic answers (integrations/autoreply.py)."""

    first_contact = forms.CharField(
        label=_("First-contact reply"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sent once to a client who writes for the first time."),
    )
    out_of_hours = forms.CharField(
        label=_("Out-of-hours reply"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sent to a client who writes outside the working hours."),
    )
    work_start = forms.TimeField(label=_("Working hours from"), required=False)
    work_end = forms.TimeField(label=_("Working hours until"), required=False)
    work_days = forms.MultipleChoiceField(
        label=_("Working days"),
        choices=WEEKDAYS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    time_zone = forms.ChoiceField(label=_("Time zone"), required=False)
    keywords = forms.CharField(
        label=_("Keyword answers"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One a line: keyword: answer. Sent when a message contains the keyword."),
    )
    handoff = forms.CharField(
        label=_("Hand-off keywords"), required=False, max_length=20000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One a line: keyword: answer. The answer tells the client a person "
                    "will write back; the conversation waits for one."),
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        from crm.tenancy.models import TIME_ZONES

        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [("", _("The workspace's")), *TIME_ZONES]

    def clean_keywords(self):
        return _keyword_lines(self.cleaned_data["keywords"])

    def clean_handoff(self):
        return _keyword_lines(self.cleaned_data["handoff"])

    def clean(self):
        data = super().clean()
        if data.get("out_of_hours", "").strip() and not (
            data.get("work_start") and data.get("work_end")
        ):
            raise forms.ValidationError(_("An out-of-hours reply needs the working hours."))
        return data

    @classmethod
    def initial_from(cls, config) -> dict:
        if config is None:
            return {"work_days": list("12345")}
        rules = config.keywords or []
        return {
            "first_contact": config.first_contact,
            "out_of_hours": config.out_of_hours,
            "work_start": config.work_start,
            "work_end": config.work_end,
            "work_days": list(config.work_days),
            "time_zone": config.time_zone,
            "keywords": "\n".join(f"{r['keyword']}: {r['answer']}" for r in rules
                                  if not r.get("handoff")),
            "handoff": "\n".join(f"{r['keyword']}: {r['answer']}" for r in rules
                                 if r.get("handoff")),
        }  # fmt: skip
