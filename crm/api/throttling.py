from rest_framework.throttling import SimpleRateThrottle


class ApiKeyRateThrottle(SimpleRateThrottle):
    """A rate per API key (counted in Redis); browser sessions are not throttled here."""

    scope = "api_key"

    def get_cache_key(self, request, view):
        key = getattr(request, "auth", None)
        if key is None or not hasattr(key, "key_hash"):
            return None
        return self.cache_format % {"scope": self.scope, "ident": key.pk}
