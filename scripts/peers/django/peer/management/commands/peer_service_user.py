from django.core.management.base import BaseCommand

from peer.models import User

SERVICE_USERNAME = "scim-peer-service"


class Command(BaseCommand):
    help = "Create the service user that bearer-authenticated SCIM requests run as."

    def handle(self, *args, **options):
        user, created = User.objects.get_or_create(
            username=SERVICE_USERNAME, defaults={"is_scim_service": True}
        )
        if created:
            user.set_unusable_password()
            user.save()
