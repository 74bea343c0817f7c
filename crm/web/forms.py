"""What the pages of every app share about forms."""

from django.core.exceptions import ValidationError


def errors_to_form(form, exc: ValidationError, rename=lambda name: name) -> None:
    """Put a service's ValidationError on the form it came from: each message on its field
    (`rename` maps a service's field name to the form's, where they differ), else on the
    form itself."""
    errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
    for name, messages in errors.items():
        target = rename(name) if name else None
        form.add_error(target if target in form.fields else None, messages)
