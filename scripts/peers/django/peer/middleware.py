"""Bearer-token authentication for the peer's /scim/ paths.

django-scim2 implements no authentication: its SCIMAuthCheckMiddleware only answers 401
unless request.user is authenticated. This middleware checks `Authorization: Bearer <token>`
against $PEER_TOKEN and, on a match, sets request.user to the fixed service user.
"""
import hmac
import json
import os

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse

SCIM_PREFIX = "/scim/"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


def _error(status, detail, **headers):
    body = json.dumps({"schemas": [ERROR_SCHEMA], "status": str(status), "detail": detail})
    response = HttpResponse(body, status=status, content_type="application/scim+json")
    for name, value in headers.items():
        response[name] = value
    return response


class BearerTokenMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        token = os.environ.get("PEER_TOKEN", "")
        if not token:
            raise ImproperlyConfigured("PEER_TOKEN must be set to the bearer token to accept")
        self.token = token.encode()

    def __call__(self, request):
        if request.path.startswith(SCIM_PREFIX):
            scheme, _, credentials = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(
                credentials.strip().encode(), self.token
            ):
                return _error(
                    401,
                    "Missing or invalid bearer token",
                    **{"WWW-Authenticate": 'Bearer realm="django-scim2-peer"'},
                )
            from .models import User

            user = User.objects.filter(is_scim_service=True).first()
            if user is None:
                return _error(503, "Service user missing: run manage.py peer_service_user")
            request.user = user
        return self.get_response(request)
