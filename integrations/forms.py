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
