"""The signed token of an invitation link, shared by the services (which check it) and the
mail task (which sends it)."""

from django.core import signing

INVITATION_SALT = "crm.invitation"


def invitation_token(invitation) -> str:
    # The token names its workspace, so the acceptance page can enter the right tenant
    # before it looks the invitation up. Signed, so it cannot be forged or redirected.
    return signing.dumps({"t": invitation.tenant_id, "i": invitation.pk}, salt=INVITATION_SALT)
