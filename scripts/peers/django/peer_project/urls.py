from django.urls import include, path

urlpatterns = [
    # django-scim2 requires the "scim" namespace (its views reverse "scim:...").
    path("scim/v2/", include("django_scim.urls", namespace="scim")),
]
