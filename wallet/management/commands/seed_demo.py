import os
import secrets
from typing import Any

import httpx
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User
from accounts.services import user_create
from wallet.ledger.adjustments import balance_adjust

# username, sponsor, e-mail, main balance given by a (labelled) staff adjustment
DEMO_MEMBERS = [
    ("alice", None, "alice@example.com", "5000"),
    ("bob", "alice", "bob@example.com", "1200"),
    ("carol", "bob", "carol@example.com", "300"),
]
# What the platform wallets hold on the devnode after seeding: (TRX in sun, USDT in units).
DEMO_HOT_WALLET = (5_000 * 10**6, 100_000 * 10**6)
DEMO_GAS_WALLET = (5_000 * 10**6, 0)


class Command(BaseCommand):
    help = "Load demo data: a staff superuser, a few members with balances, funded devnode wallets (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        created = self._members()
        funded = self._devnode_wallets()
        self.stdout.write(f"demo data: {created} users created, {len(DEMO_MEMBERS)} members funded, {funded}")

    @transaction.atomic
    def _members(self) -> int:
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
        return created

    def _devnode_wallets(self) -> str:
        """Top the platform wallets up on the local devnode; never touches a real network."""
        node = settings.TRON_NODE_URL.rstrip("/")
        try:
            httpx.post(f"{node}/devnode/info", json={}, timeout=3).raise_for_status()
        except httpx.HTTPError:
            return "no devnode to fund"
        for address, (trx_sun, usdt_units) in (
            (settings.TRON_HOT_WALLET_ADDRESS, DEMO_HOT_WALLET), (settings.TRON_GAS_WALLET_ADDRESS, DEMO_GAS_WALLET),
        ):
            if not address:
                continue
            held = httpx.post(f"{node}/devnode/balances", json={"address": address}, timeout=5).json()
            if held["trx_sun"] < trx_sun:
                self._operate(node, "fund_trx", address=address, amount=trx_sun - held["trx_sun"])
            usdt_held = held["tokens"].get(settings.USDT_CONTRACT, 0)
            if usdt_held < usdt_units:
                self._operate(node, "mint_usdt", address=address, amount=usdt_units - usdt_held)
        return "devnode wallets funded"

    @staticmethod
    def _operate(node: str, action: str, **body: object) -> None:
        httpx.post(f"{node}/devnode/{action}", json={**body, "mine": True}, timeout=10).raise_for_status()
