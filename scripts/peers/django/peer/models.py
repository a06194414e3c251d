"""The models django-scim2's default adapters (SCIMUser, SCIMGroup) expect.

The adapters read scim_id / scim_external_id / scim_username from the SCIM mixins, Django's
auth fields (username, first_name, last_name, email, is_active, date_joined) from
AbstractUser, `user.scim_groups` and `group.user_set` for memberships, and `group.name`.
This mirrors the TestUser/TestGroup models of django-scim2's own test suite.
"""
from django.contrib.auth.models import AbstractUser
from django.db import models
from django_scim.models import AbstractSCIMGroupMixin, AbstractSCIMUserMixin


class Group(AbstractSCIMGroupMixin):
    # Same shape as django.contrib.auth.models.Group.name.
    name = models.CharField("name", max_length=150, unique=True)

    def __str__(self):
        return self.name


class User(AbstractSCIMUserMixin, AbstractUser):
    scim_groups = models.ManyToManyField(Group, related_name="user_set", blank=True)
    # The account the bearer-token middleware logs in; hidden from every SCIM endpoint.
    is_scim_service = models.BooleanField(default=False)
