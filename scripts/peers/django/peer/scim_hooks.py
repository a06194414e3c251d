"""Hooks named in settings.SCIM_SERVICE_PROVIDER."""


def base_location(request=None, *args, **kwargs):
    """Scheme and host for meta.location and Location headers, taken from the request."""
    if request is None:
        return "http://127.0.0.1"
    return f"{request.scheme}://{request.get_host()}"


def _is_user_model(model):
    meta = getattr(model, "_meta", None)
    return meta is not None and meta.label == "peer.User"


def extra_filter_kwargs_getter(model):
    """Hide the service user from GET /Users, GET /Users/{id} and filtered lists."""

    def get_extra_filter_kwargs(request, *args, **kwargs):
        return {"is_scim_service": False} if _is_user_model(model) else {}

    return get_extra_filter_kwargs


def extra_exclude_kwargs_getter(model):
    """Hide the service user from POST /Users/.search (whose model is the string "search")."""

    def get_extra_exclude_kwargs(request, *args, **kwargs):
        return {"is_scim_service": True} if model == "search" else {}

    return get_extra_exclude_kwargs
