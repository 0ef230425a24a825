import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from wallet.seeding import network_seed


class Command(BaseCommand):
    help = "Build a random referral network (wide top, hubs, deep chains) with bulk inserts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--users", type=int, required=True, help="How many members to create.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (same seed, same shape).")
        parser.add_argument("--prefix", default=None, help="Username prefix (default net<seed>-).")
        parser.add_argument("--password", default=None,
                            help="Password for every seeded member (default: none can log in).")
        parser.add_argument("--under", default=None, help="Username of a member to seed the network under.")
        parser.add_argument("--bonuses", action="store_true", help="Also post every registration bonus.")

    def handle(self, *args: Any, users: int, seed: int, prefix: str | None, password: str | None, under: str | None,
               bonuses: bool, **options: Any) -> None:
        if users < 1:
            raise CommandError("--users must be at least 1.")
        sponsor = None
        if under:
            sponsor = User.objects.filter(username__iexact=under).first()
            if sponsor is None:
                raise CommandError(f"No member named {under!r}.")
        taken_prefix = prefix if prefix is not None else f"net{seed}-"
        if User.objects.filter(username__iexact=f"{taken_prefix}0").exists():
            raise CommandError(f"A network with prefix {taken_prefix!r} exists; pass another --prefix or --seed.")
        started = time.monotonic()
        result = network_seed(users=users, seed=seed, prefix=prefix, password=password, under=sponsor,
                              bonuses=bonuses)
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"seeded {result.users} members under root id {result.root_id}, {result.max_depth} levels deep, "
            f"{result.bonuses} bonuses posted, in {elapsed:.1f} s"
        )
