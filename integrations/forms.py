from django import forms
from django.utils.translation import gettext_lazy as _

from . import channels
from .models import Conversation

VIEWS = [("all", _("All")), ("mine", _("Mine")), ("unassigned", _("Unassigned"))]


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
    text = forms.CharField(
        label=_("Message"), max_length=4096, widget=forms.Textarea(attrs={"rows": 3})
    )


class InboxFilter(forms.Form):
    view = forms.ChoiceField(label=_("Show"), choices=VIEWS, required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("Any status")), *Conversation.STATUSES],
        required=False,
    )


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
