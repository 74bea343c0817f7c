"""Apply the user's language and time zone (profile first, then browser / workspace)."""

import zoneinfo

from django.utils import timezone, translation


class UserPreferencesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        tz = (user.is_authenticated and user.time_zone) or (
            request.tenant.time_zone if request.tenant else ""
        )
        if tz:
            timezone.activate(zoneinfo.ZoneInfo(tz))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
