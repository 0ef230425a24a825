import os
import secrets

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User
from accounts.services import user_create
from wallet.services import balance_adjust

# username, sponsor, e-mail, main balance given by a (labelled) staff adjustment
DEMO_MEMBERS = [
    ("alice", None, "alice@example.com", "5000"),
    ("bob", "alice", "bob@example.com", "1200"),
    ("carol", "bob", "carol@example.com", "300"),
]


class Command(BaseCommand):
    help = "Load demo data: a staff superuser and a few members with balances (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        password = os.environ.get("DEMO_PASSWORD") or secrets.token_urlsafe(12)
        created = 0
        if not User.objects.filter(username="admin").exists():
            User.objects.create_superuser("admin", "admin@example.com", password)
            created += 1
        for username, sponsor_name, email, balance in DEMO_MEMBERS:
            member = User.objects.filter(username=username).first()
            if member is None:
                sponsor = User.objects.get(username=sponsor_name) if sponsor_name else None
                member = user_create(username=username, email=email, password=password, sponsor=sponsor)
                created += 1
            # A fixed key makes the demo credit happen once, however often this runs.
            balance_adjust(user_id=member.pk, amount=balance, reason="Demo balance",
                           created_by_id=None, key=f"demo:{username}:main")
        self.stdout.write(f"demo data: {created} users created, {len(DEMO_MEMBERS)} members funded")
