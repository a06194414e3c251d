from django.apps import AppConfig
from django.db.backends.signals import connection_created


def _sqlite_pragmas(sender, connection, **kwargs):
    # WAL lets readers run while a writer holds the lock; writers still queue on the
    # busy timeout set in settings (OPTIONS["timeout"]).
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")


class PeerConfig(AppConfig):
    name = "peer"
    default_auto_field = "django.db.models.AutoField"

    def ready(self):
        connection_created.connect(_sqlite_pragmas, dispatch_uid="peer-sqlite-pragmas")
