"""`manage.py createmoderator NAME`: a console account in the moderators role (or, with
--administrator, the administrators role), without going through the user admin."""

import getpass
import os

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from console.roles import ADMINISTRATORS, MODERATORS, ensure_roles

PASSWORD_VARIABLE = "TREMOR_MODERATOR_PASSWORD"


class Command(BaseCommand):
    help = (
        "Create a console account in the moderators role, or give an existing account that "
        f"role. The password is asked for, or read from ${PASSWORD_VARIABLE} (for scripts)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username", help="the name to sign in with")
        parser.add_argument("--email", default="", help="an address for the account (optional)")
        parser.add_argument(
            "--administrator",
            action="store_true",
            help="the administrators role instead: may also change the catalogue and users",
        )
        parser.add_argument(
            "--no-input",
            action="store_true",
            help=f"never prompt: the password must be in ${PASSWORD_VARIABLE}",
        )

    def handle(self, *args, username: str, email: str, administrator: bool, **opts) -> None:
        username = username.strip()
        if not username:
            raise CommandError("the username is empty")
        role = ADMINISTRATORS if administrator else MODERATORS
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        password = None
        if user is None:
            candidate = User(username=username, email=email)
            password = self._password(candidate, no_input=opts["no_input"])
        with transaction.atomic():
            ensure_roles()  # in case migrate has not run its post-migrate step on this database
            created = user is None
            if user is None:
                user = User.objects.create_user(username, email=email, password=password)
            user.is_staff = True
            user.save(update_fields=["is_staff"])
            user.groups.add(Group.objects.get(name=role))
        what = "created" if created else "already existed; given the role"
        self.stdout.write(f"{username}: {what} {role[:-1]}; sign in at /admin/")

    def _password(self, candidate, *, no_input: bool) -> str:
        username = candidate.username
        password = os.environ.get(PASSWORD_VARIABLE)
        if password is None:
            if no_input:
                raise CommandError(f"no password: set ${PASSWORD_VARIABLE} or drop --no-input")
            password = getpass.getpass(f"Password for {username}: ")
            if password != getpass.getpass("The same again: "):
                raise CommandError("the two passwords differ")
        try:
            validate_password(password, user=candidate)
        except ValidationError as error:
            raise CommandError("the password is refused: " + " ".join(error.messages)) from error
        return password
