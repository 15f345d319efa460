"""The rush when applications open: 600 staff of six municipalities apply at once for 30 seats.

Starts the app under gunicorn (4 workers) on a fresh database — SQLite by default, PostgreSQL when
DATABASE_URL names one (a temporary database is created on that server and dropped afterwards) —
creates 100 employees per municipality and one session of 30 seats with 5 per municipality, signs
everyone in beforehand, then lets 50 concurrent clients apply all at once.

Prints throughput and latency of the application request, the same for a trivial endpoint of the same
server measured in the same run (the floor) and their ratio, the final count per municipality and
status, 5xx responses, worker memory, the CPU time each request cost the workers, the PostgreSQL server
and the load generator, and how much of the machine's CPU was left idle: on 2 cores either the CPU or
the per-session seat lock (one decision at a time) sets the pace. Exits non-zero if any session was
overbooked, any applicant was lost, or any request failed.

    .venv/bin/python bench/rush.py                       # SQLite
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/rush.py
"""

from __future__ import annotations

import asyncio
import http.client
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PER_MUNICIPALITY = 100
CLIENTS = 50
WORKERS = 4
PASSWORD = "rush benchmark password"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    """One person's browser: a keep-alive connection and the session cookie."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookie = ""
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str, float]:
        body = urllib.parse.urlencode(form).encode() if form is not None else None
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                text = response.read().decode("utf-8", "replace")
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt == 2:
                    raise
        elapsed = time.perf_counter() - started
        for header, value in response.getheaders():
            if header.lower() == "set-cookie" and value.startswith("session="):
                self.cookie = value.split(";", 1)[0]
        return response.status, text, elapsed

    def token(self, path: str) -> str:
        status, page, _ = self.request("GET", path)
        match = CSRF_RE.search(page)
        if status != 200 or not match:
            raise RuntimeError(f"no form at {path}: {status}")
        return match.group(1)


def prepare_database(url: str) -> tuple[int, list[str]]:
    """Schema by migration, reference data, 600 employees and the session. Returns (session id, emails)."""
    env = {**os.environ, "DATABASE_URL": url, "DXT_ENV": "development", "MAIL_ECHO": "0"}
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "seed"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    os.environ["DATABASE_URL"] = url
    from config import DevelopmentConfig, database_url
    from dxtraining import create_app
    from dxtraining.auth.passwords import hash_password
    from dxtraining.courses.seed import load_course
    from dxtraining.extensions import db
    from dxtraining.people.models import Person
    from dxtraining.people.services import municipalities, ranks
    from dxtraining.sessions.services import default_quotas, save_session
    from tests.planning_helpers import plan_for

    config = type("BenchSetup", (DevelopmentConfig,), {"SQLALCHEMY_DATABASE_URI": database_url(url)})
    app = create_app(config)
    emails = []
    with app.app_context():
        course = load_course()
        password_hash = hash_password(PASSWORD)  # the production parameters, hashed once
        staff_rank = ranks()[-1]
        from dxtraining.database import utcnow

        for m in municipalities():
            domain = m.domains[0].domain
            for i in range(PER_MUNICIPALITY):
                email = f"rush{i:03d}@{domain}"
                db.session.add(
                    Person(
                        email=email,
                        name=f"{m.name} 職員{i}",
                        name_kana="しょくいん",
                        municipality_id=m.id,
                        rank=staff_rank,
                        password_hash=password_hash,
                        email_confirmed_at=utcnow(),
                    )
                )
                emails.append(email)
        session = save_session(course, plan_for(course, quotas=default_quotas(course)))
        db.session.commit()
        session_id = session.id
        db.engine.dispose()
    return session_id, emails


def worker_memory(master_pid: int) -> tuple[list[float], list[float]]:
    """(current RSS, lifetime peak RSS) of each worker in MB."""
    children = worker_pids(master_pid)
    current, peak = [], []
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        current.append(int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024)
        peak.append(int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024)
    return current, peak


def cpu_seconds(pids: list[str]) -> float:
    """User + system CPU time used so far by these processes."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def machine_cpu() -> list[int]:
    """The machine's CPU time so far by state (user, nice, system, idle, iowait, ...), from /proc/stat."""
    return [int(field) for field in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]


def machine_idle(before: list[int], after: list[int]) -> tuple[float, float]:
    """Share of the machine's CPU time left idle between two readings, and the part of it spent waiting on disk."""
    spent = [b - a for a, b in zip(before, after, strict=True)]
    return (spent[3] + spent[4]) / sum(spent), spent[4] / sum(spent)


def worker_pids(master_pid: int) -> list[str]:
    return Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()


def postgres_pids() -> list[str]:
    return [p.name for p in Path("/proc").iterdir() if p.name.isdigit() and _command(p) == "postgres"]


def _command(proc: Path) -> str:
    try:
        return (proc / "comm").read_text().strip()
    except OSError:
        return ""


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def rush(port: int, requests: list[bytes]) -> tuple[list[float], list[int], float, float]:
    """Send the raw HTTP requests through CLIENTS concurrent connections, all starting at once; returns
    latencies, statuses, wall time and the load generator's own CPU time per request.

    One event loop drives every client, as load generators such as wrk do: fifty Python threads would spend
    the 2 cores fighting over the GIL and answer the server's closing handshake late, which the server's
    figures would then carry.
    """
    chunks = [requests[i::CLIENTS] for i in range(CLIENTS)]
    latencies: list[float] = []
    statuses: list[int] = []

    async def one(raw: bytes) -> None:
        started = time.perf_counter()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(raw)
        response = await reader.read()  # the sync worker closes the connection after each response
        writer.close()
        latencies.append(time.perf_counter() - started)
        statuses.append(int(response.split(b" ", 2)[1]) if response else 0)

    async def client(chunk: list[bytes]) -> None:
        for raw in chunk:
            await one(raw)

    async def everyone() -> None:
        await asyncio.gather(*(client(chunk) for chunk in chunks))

    started, cpu = time.perf_counter(), time.thread_time()
    asyncio.run(everyone())
    return latencies, statuses, time.perf_counter() - started, (time.thread_time() - cpu) / len(requests)


def raw_request(port: int, method: str, path: str, cookie: str = "", form: dict | None = None) -> bytes:
    body = urllib.parse.urlencode(form).encode() if form is not None else b""
    headers = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    if cookie:
        headers.append(f"Cookie: {cookie}")
    if form is not None:
        headers += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
    return "\r\n".join(headers).encode() + b"\r\n\r\n" + body


def report(name: str, latencies: list[float], wall: float) -> dict[str, float]:
    figures = {
        "rps": len(latencies) / wall,
        "p50": percentile(latencies, 50) * 1000,
        "p95": percentile(latencies, 95) * 1000,
        "p99": percentile(latencies, 99) * 1000,
    }
    print(
        f"{name:<22} {figures['rps']:8.1f} req/s   p50 {figures['p50']:7.1f} ms   "
        f"p95 {figures['p95']:7.1f} ms   p99 {figures['p99']:7.1f} ms"
    )
    return figures


def main() -> int:
    from bench.common import fresh_database

    tmp = Path(tempfile.mkdtemp(prefix="dxt-rush-"))
    url, drop = fresh_database("rush", tmp)
    backend = "PostgreSQL" if drop else "SQLite"
    print(
        f"dxtraining rush benchmark: {backend}, {WORKERS} gunicorn workers, {CLIENTS} clients, "
        f"{6 * PER_MUNICIPALITY} applicants, {os.cpu_count()} CPU cores"
    )
    session_id, emails = prepare_database(url)
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DXT_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "COOKIE_SECURE": "0",
        "DXT_INSTANCE_PATH": str(tmp),
        "MAIL_OUTBOX_DIR": str(tmp / "outbox"),
        "MAIL_ECHO": "0",
        "PREFERRED_URL_SCHEME": "http",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(WORKERS),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(100):
            try:
                if Client(port).request("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        clients = [Client(port) for _ in emails]

        def sign_in(pair):
            client, email = pair
            token = client.token("/signin")
            status, _, _ = client.request(
                "POST", "/signin", {"csrf_token": token, "email": email, "password": PASSWORD}
            )
            if status != 302:
                raise RuntimeError(f"sign-in failed for {email}: {status}")
            client.apply_token = client.token(f"/sessions/{session_id}")

        started = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(sign_in, zip(clients, emails, strict=True)))
        print(f"signed in {len(clients)} people in {time.perf_counter() - started:.1f} s")

        workers = worker_pids(server.pid)
        database_pids = postgres_pids() if drop else []
        cpu_before = cpu_seconds(workers)
        floor_lat, floor_status, floor_wall, _ = rush(port, [raw_request(port, "GET", "/healthz") for _ in clients])
        floor_cpu = (cpu_seconds(workers) - cpu_before) / len(clients)
        _, memory_before_peak = worker_memory(server.pid)
        sampled: list[float] = []
        sampling = threading.Event()

        def sample():
            while not sampling.is_set():
                sampled.extend(worker_memory(server.pid)[0])
                time.sleep(0.05)

        applications = [
            raw_request(
                port, "POST", f"/sessions/{session_id}/apply", c.cookie, {"csrf_token": c.apply_token, "note": ""}
            )
            for c in clients
        ]
        sampler = threading.Thread(target=sample)
        sampler.start()
        cpu_before, database_cpu_before = cpu_seconds(workers), cpu_seconds(database_pids)
        machine_before = machine_cpu()
        apply_lat, apply_status, apply_wall, generator_cpu = rush(port, applications)
        idle, disk_wait = machine_idle(machine_before, machine_cpu())
        apply_cpu = (cpu_seconds(workers) - cpu_before) / len(clients)
        database_cpu = (cpu_seconds(database_pids) - database_cpu_before) / len(clients)
        sampling.set()
        sampler.join()
        current, peak = worker_memory(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)

    print()
    floor = report("GET /healthz (floor)", floor_lat, floor_wall)
    applying = report("POST apply", apply_lat, apply_wall)
    print(
        f"{'ratio apply / floor':<22} {floor['rps'] / applying['rps']:8.2f}x slower   "
        f"p99 {applying['p99'] / floor['p99']:.2f}x"
    )
    print(
        f"CPU per request in the workers: floor {floor_cpu * 1000:.2f} ms, apply {apply_cpu * 1000:.2f} ms"
        + (f"; in PostgreSQL: apply {database_cpu * 1000:.2f} ms" if drop else "")
        + f"; in the load generator: {generator_cpu * 1000:.2f} ms"
    )
    pace = "the seat lock (one decision at a time)" if idle >= 0.1 else "the CPU"
    print(f"CPU left idle during the rush: {idle:.0%} (waiting on disk {disk_wait:.0%}): {pace} sets the pace")
    print(
        f"worker RSS during the rush: peak {max(sampled):.0f} MB; lifetime peak (incl. argon2 sign-ins) "
        f"{max(peak):.0f} MB; before the rush {max(memory_before_peak):.0f} MB"
    )

    from sqlalchemy import create_engine, func, select, text

    from config import database_url
    from dxtraining.enrollment.models import Enrollment
    from dxtraining.people.models import Municipality

    engine = create_engine(database_url(url))
    with engine.connect() as connection:
        rows = connection.execute(
            select(Municipality.name, Enrollment.status, func.count(Enrollment.id))
            .join(Municipality, Municipality.id == Enrollment.municipality_id)
            .group_by(Municipality.name, Enrollment.status)
            .order_by(Municipality.name)
        ).all()
        applicants = connection.execute(text("SELECT count(*), count(DISTINCT person_id) FROM enrollment")).one()
    engine.dispose()
    if drop:
        drop()
    print("\nfinal count per municipality and status:")
    per = Counter()
    for name, status, n in rows:
        print(f"  {name}  {status:<10} {n}")
        if status == "confirmed":
            per[name] += n
    errors_5xx = sum(s >= 500 for s in apply_status + floor_status)
    failed = sum(s != 302 for s in apply_status) + sum(s != 200 for s in floor_status)
    overbooked = sum(per.values()) > 30 or any(n > 5 for n in per.values())
    lost = applicants[0] != len(emails) or applicants[1] != len(emails)
    print(
        f"\n5xx responses: {errors_5xx}; failed requests: {failed}; confirmed: {sum(per.values())} of 30; "
        f"overbooked: {'YES' if overbooked else 'no'}; applicants recorded: {applicants[0]} of {len(emails)}"
    )
    return 1 if (overbooked or lost or failed) else 0


if __name__ == "__main__":
    sys.exit(main())
