#!/usr/bin/env python3
"""Django's command-line utility for the django-scim2 peer."""
import os
import sys
from pathlib import Path

if __name__ == "__main__":
    # Work from any directory: the project package lives beside this file.
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer_project.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
