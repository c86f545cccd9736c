"""`manage.py create_editor USERNAME`: a staff account in the Editors group (the desk's role)."""

import getpass
import os

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

GROUP = "Editors"
PASSWORD_ENV = "NEWSROOM_EDITOR_PASSWORD"


class Command(BaseCommand):
    help = (
        "Create an editor: a staff account in the Editors group, who may publish, hold back "
        "and score articles in the admin but not delete them or manage accounts. The password "
        f"is asked for, or read from {PASSWORD_ENV} with --no-input."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="", help="the editor's email address")
        parser.add_argument(
            "--no-input",
            action="store_false",
            dest="interactive",
            help=f"do not prompt: take the password from the {PASSWORD_ENV} environment variable",
        )

    def handle(self, username, email, interactive, **options):
        User = get_user_model()
        if User._default_manager.filter(**{User.USERNAME_FIELD: username}).exists():
            raise CommandError(f"A user named {username!r} already exists; choose another name.")
        try:
            group = Group.objects.get(name=GROUP)
        except Group.DoesNotExist:
            raise CommandError(
                f"There is no {GROUP!r} group: run `python manage.py migrate` first."
            ) from None
        user = User(**{User.USERNAME_FIELD: username}, email=email, is_staff=True)
        try:
            user.full_clean(exclude=["password"])
        except ValidationError as error:
            problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
            raise CommandError(f"Cannot create {username!r}: {problems}") from None
        password = self.ask_password(user) if interactive else self.env_password(user)
        user.set_password(password)
        with transaction.atomic():
            user.save()
            user.groups.add(group)
        self.stdout.write(self.style.SUCCESS(f"Created editor {username!r} in {GROUP}."))

    def env_password(self, user) -> str:
        password = os.environ.get(PASSWORD_ENV, "")
        if not password:
            raise CommandError(f"--no-input needs the password in {PASSWORD_ENV}.")
        self.check_password(password, user)
        return password

    def ask_password(self, user) -> str:
        while True:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                self.stderr.write("The passwords do not match; try again.")
                continue
            try:
                self.check_password(password, user)
            except CommandError as error:
                self.stderr.write(str(error))
                continue
            return password

    def check_password(self, password: str, user) -> None:
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError("Password refused: " + " ".join(error.messages)) from None
