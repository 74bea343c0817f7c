from crm.tenancy.tasks import tenant_task

from . import emails
from .models import Invitation
from .tokens import invitation_token


@tenant_task(
    name="accounts.send_invitation_email",
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=8,
)
def send_invitation_email(tenant_id: int, invitation_id: int) -> bool:
    invitation = (
        Invitation.objects.select_related("tenant", "role", "invited_by")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None or invitation.status != "pending":
        return False  # revoked or accepted meanwhile: nothing to send

    emails.send_invitation(invitation, invitation_token(invitation))
    return True
