from django import forms
from django.utils.translation import gettext_lazy as _

from . import channels
from .models import Conversation

VIEWS = [("all", _("All")), ("mine", _("Mine")), ("unassigned", _("Unassigned"))]


class ChannelForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[])
    name = forms.CharField(label=_("Name"), max_length=120)
    bot_token = forms.CharField(
        label=_("Bot token"),
        max_length=200,
        help_text=_("The token @BotFather gave you. It is stored encrypted."),
        widget=forms.PasswordInput(render_value=False),
    )
    api_base_url = forms.URLField(
        label=_("Bot API address"),
        required=False,
        help_text=_("Leave empty for Telegram's own; a local stand-in for trials."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = channels.kinds()


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
