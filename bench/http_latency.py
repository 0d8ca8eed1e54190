"""HTTP latency of the main pages and the list API, served as in production.

A throw-away var dir with `telekam migrate` and `telekam demo` (timed); gunicorn as
scripts/start runs it (DEBUG off, whitenoise) on a free port; browser-like logins as an
account manager and as the department head; then, per target, C concurrent clients send N
GETs after a warm-up. Prints p50/p95/p99, throughput and the ratio to the floor (/healthz);
writes bench/results/http_latency.json. See bench/README.md. Exit status: 0 when every
request answered 200 (a missed aim is a finding), 1 when some did not, 2 when the set-up
or the server failed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import http.client
import itertools
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from subprocess import STDOUT, Popen

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
RESULTS = ROOT / "bench" / "results" / "http_latency.json"
PASSWORD = "Telekam-2026!"  # noqa: S105 - the demo users' password (`telekam demo` prints it)
AM, HEAD = "am_finance", "head"
AIM_P95_MS = 150.0
AIM_FLOOR_RATIO = 3.0
POLL_EVERY_S, POLL_FOR_S = 120, 40 * 60


class SetupError(RuntimeError):
    """The benchmark could not be set up (no demo command, login refused), or gunicorn died."""


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0-100), linear between closest ranks (numpy's default)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class Summary:
    target: str
    requests: int
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    req_per_s: float
    floor_ratio: float  # p95 / the floor's p95
    meets_aim: bool
    kb_per_response: float = 0.0


def summarize(
    target: str, ms: list[float], errors: int, secs: float, floor_p95: float | None, size: int = 0
) -> Summary:
    """Figures of one target from the latencies of its good answers (ms), its error count,
    the wall time and the bytes read; the floor itself passes floor_p95=None (ratio 1)."""
    p50, p95, p99 = (percentile(ms, p) for p in (50, 95, 99))
    ratio = 1.0 if floor_p95 is None else p95 / floor_p95
    done = len(ms) + errors
    rate = done / secs if secs > 0 else math.nan
    meets = errors == 0 and p95 < AIM_P95_MS and ratio <= AIM_FLOOR_RATIO
    kb = size / len(ms) / 1024 if ms else 0.0
    return Summary(target, done, errors, p50, p95, p99, rate, ratio, meets, kb)


Reply = tuple[int, str, str]  # status, Location, body
FORM = "application/x-www-form-urlencoded"


class Browser:
    """One user's cookies, as a browser keeps them; every call opens a fresh connection."""

    def __init__(self, port: int) -> None:
        self.port, self.cookies = port, dict[str, str]()

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> Reply:
        body = None if form is None else urllib.parse.urlencode(form)
        headers = {"Cookie": self.cookie_header(), "Content-Type": FORM}
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            text = resp.read().decode("utf-8", "replace")
            for raw in resp.headers.get_all("Set-Cookie") or []:
                jar: SimpleCookie = SimpleCookie()
                jar.load(raw)
                self.cookies.update({k: m.value for k, m in jar.items()})
            return resp.status, resp.headers.get("Location", ""), text
        finally:
            conn.close()

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items() if v)

    def post_form(self, path: str, fields: dict[str, str]) -> Reply:
        status, _loc, page = self.request("GET", path)
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or match is None:
            raise SetupError(f"GET {path}: {status}, no CSRF token")
        return self.request("POST", path, {"csrfmiddlewaretoken": match.group(1), **fields})

    def login(self, username: str) -> None:
        fields = {"username": username, "password": PASSWORD}
        status, _loc, _page = self.post_form("/login/", fields)
        if status != 302 or "sessionid" not in self.cookies:
            raise SetupError(f"login as {username} refused (status {status})")

    def api_token(self) -> str:
        status, _loc, page = self.post_form("/me/tokens/", {"name": "http_latency bench"})
        match = re.search(r'data-testid="new-token">([^<]+)<', page)
        if status != 200 or match is None:
            raise SetupError(f"POST /me/tokens/: {status}, no new token on the page")
        return html.unescape(match.group(1)).strip()


@dataclass
class Target:
    name: str
    paths: list[str]  # requests rotate through these
    headers: dict[str, str]


Outcome = tuple[list[float], list[str], int]  # latencies (ms) of good answers, errors, bytes


def run_load(port: int, target: Target, total: int, concurrency: int) -> tuple[Outcome, float]:
    """`total` GETs from `concurrency` threads, each on its own HTTP/1.1 connection (which
    gunicorn's sync workers close after each response; http.client then reconnects)."""
    counter, stop = itertools.count(), threading.Event()  # next(counter) is atomic in CPython

    def client(_n: int) -> Outcome:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine, bad, read = list[float](), list[str](), 0
        while not stop.is_set() and (i := next(counter)) < total:
            path = target.paths[i % len(target.paths)]
            start = time.perf_counter()
            try:
                conn.request("GET", path, headers=target.headers)
                resp = conn.getresponse()
                body = resp.read()
                elapsed = (time.perf_counter() - start) * 1000
                if resp.status == 200 and body:
                    mine.append(elapsed)
                    read += len(body)
                else:
                    bad.append(f"{resp.status} {path} ({len(body)} bytes)")
            except (OSError, http.client.HTTPException) as exc:
                bad.append(f"{type(exc).__name__}: {exc} {path}")
                conn.close()
        conn.close()
        return mine, bad, read

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        try:
            outcomes = list(pool.map(client, range(concurrency)))
        finally:
            stop.set()  # on Ctrl+C the clients end after their current request
    seconds = time.perf_counter() - start
    latencies = [ms for mine, _bad, _read in outcomes for ms in mine]
    errors = [e for _mine, bad, _read in outcomes for e in bad]
    return (latencies, errors, sum(read for *_rest, read in outcomes)), seconds


def telekam(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    # The console script when `pip install -e .` made it (scripts/setup), else its module.
    cli = BIN / "telekam"
    command = [str(cli)] if cli.exists() else [str(BIN / "python"), "-m", "telekam.cli"]
    command += args
    return subprocess.run(command, cwd=ROOT, env=env, text=True, capture_output=True, check=False)


def wait_for_demo_command(env: dict[str, str]) -> str:
    """The help text of `telekam demo`, polling while another engineer writes it."""
    deadline = time.monotonic() + POLL_FOR_S
    while True:
        done = telekam(env, "help", "demo")
        if done.returncode == 0:
            return done.stdout
        if time.monotonic() > deadline:
            raise SetupError(f"`telekam demo` still missing: {done.stderr.strip()[-300:]}")
        print(f"  `telekam demo` not available yet; checking again in {POLL_EVERY_S} s", flush=True)
        time.sleep(POLL_EVERY_S)


def prepare_data(env: dict[str, str], scale: str | None) -> float:
    """Migrate, collect static files and generate the demo data; the demo's time in s."""
    for command in ("migrate", "collectstatic"):
        done = telekam(env, command, "--noinput", "--verbosity", "0")
        if done.returncode != 0:
            raise SetupError(f"telekam {command} failed:\n{done.stderr[-2000:]}")
    has_scale = "--scale" in wait_for_demo_command(env)
    demo = ["demo", "--scale", scale] if scale and has_scale else ["demo"]
    if scale and not has_scale:
        print("  note: `telekam demo` has no --scale option; generating the default size")
    start = time.perf_counter()
    done = telekam(env, *demo)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SetupError(f"telekam demo failed:\n{done.stdout[-1000:]}{done.stderr[-2000:]}")
    print("  " + "\n  ".join(done.stdout.rstrip().splitlines()[-25:]))  # counts and logins
    return seconds


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(env: dict[str, str], port: int, workers: int, log: Path) -> Popen[bytes]:
    """gunicorn with the arguments of scripts/start; waits until /healthz answers."""
    command = [
        str(BIN / "gunicorn"), "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers), "--timeout", "120", "--access-logfile", "-", "--log-level", "warning",
    ]  # fmt: skip
    with log.open("wb") as out:
        proc = Popen(command, cwd=ROOT, env=env, stdout=out, stderr=STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SetupError(f"gunicorn exited with {proc.returncode}:\n{log.read_text()[-2000:]}")
        try:
            if Browser(port).request("GET", "/healthz")[0] == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.2)
    stop_server(proc)
    raise SetupError("gunicorn did not answer /healthz within 60 s")


def stop_server(proc: Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)  # its own session: gunicorn and its workers
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def build_targets(port: int, query: str | None) -> tuple[list[Target], str]:
    am, head = Browser(port), Browser(port)
    am.login(AM)
    head.login(HEAD)
    pages = [am.request("GET", f"/accounts/?page={n}")[2] for n in (1, 2, 3, 4)]
    links = [re.findall(r'<a href="/accounts/(\d+)/"[^>]*>([^<]+)</a>', page) for page in pages]
    ids = list(dict.fromkeys(pk for page in links for pk, _name in page))
    if not ids:
        raise SetupError(f"no account links on the list page of {AM}")
    name = html.unescape(links[0][0][1])
    query = query or (name[2:4] if len(name) >= 4 else name)
    q = urllib.parse.quote(query)
    am_tokens = {"Authorization": f"Bearer {am.api_token()}"}
    head_tokens = {"Authorization": f"Bearer {head.api_token()}"}
    am_web, head_web = {"Cookie": am.cookie_header()}, {"Cookie": head.cookie_header()}
    targets = [Target("floor GET /healthz", ["/healthz"], {})]
    for who, web in ((AM, am_web), (HEAD, head_web)):
        targets += [
            Target(f"list /accounts/ [{who}]", ["/accounts/"], web),
            Target(f"list ?q=… [{who}]", [f"/accounts/?q={q}"], web),
            Target(f"list ?sort=-spend&page=3 [{who}]", ["/accounts/?sort=-spend&page=3"], web),
        ]
    detail = [f"/accounts/{pk}/" for pk in ids]
    targets += [
        Target(f"account /accounts/<pk>/ x{len(ids)} [{AM}]", detail, am_web),
        Target(f"API /api/v1/accounts [{AM}]", ["/api/v1/accounts"], am_tokens),
        Target(f"API /api/v1/accounts [{HEAD}]", ["/api/v1/accounts"], head_tokens),
    ]
    return targets, query


def print_table(rows: list[Summary]) -> None:
    width = max(len(r.target) for r in rows)
    heads = f"{'reqs':>5} {'err':>4} {'p50':>7} {'p95':>7} {'p99':>7} {'req/s':>7} {'KB':>6}"
    print(f"{'target':<{width}}  {heads} {'p95/floor':>9}  aim")
    for r in rows:
        print(
            f"{r.target:<{width}}  {r.requests:>5} {r.errors:>4} {r.p50_ms:>7.1f} {r.p95_ms:>7.1f}"
            f" {r.p99_ms:>7.1f} {r.req_per_s:>7.1f} {r.kb_per_response:>6.1f} {r.floor_ratio:>8.1f}x  {'ok' if r.meets_aim else 'MISSED'}"
        )
    print(f"(ms; aim: p95 < {AIM_P95_MS:.0f} ms and within {AIM_FLOOR_RATIO:.0f}x the floor's p95)")


def measure(args: argparse.Namespace, var_dir: Path) -> int:
    env = {k: v for k, v in os.environ.items() if k not in ("TELEKAM_DEBUG", "DATABASE_URL")}
    env |= {"DJANGO_SETTINGS_MODULE": "config.settings.local", "TELEKAM_VAR_DIR": str(var_dir)}
    env["TELEKAM_STATIC_ROOT"] = str(var_dir / "static")  # collectstatic here, not in the checkout
    print(f"» var dir {var_dir}: migrate, collectstatic, demo data")
    demo_s = prepare_data(env, args.scale)
    print(f"» demo data generated in {demo_s:.1f} s")
    port, log = free_port(), var_dir / "gunicorn.log"
    server = start_server(env, port, args.workers, log)
    try:
        targets, query = build_targets(port, args.query)
        load_before = os.getloadavg()[0]
        print(
            f"\n» {os.cpu_count()} CPU cores shared by gunicorn ({args.workers} sync workers, a new TCP"
            f" connection per request) and this load generator ({args.concurrency} client threads);"
            f"\n  {args.requests} requests per target after {args.warmup} warm-up; search q={query!r}"
            f"\n  load average before: {load_before:.2f} (other processes skew the figures)\n"
        )
        rows: list[Summary] = []
        examples: list[str] = []
        failures: Counter[str] = Counter()  # "target: status" -> count
        for target in targets:
            run_load(port, target, args.warmup, args.concurrency)
            (ms, errors, size), secs = run_load(port, target, args.requests, args.concurrency)
            if server.poll() is not None:
                raise SetupError(f"gunicorn died during {target.name}:\n{log.read_text()[-2000:]}")
            floor = rows[0].p95_ms if rows else None
            rows.append(summarize(target.name, ms, len(errors), secs, floor, size))
            failures.update(f"{target.name}: {e.split(' /')[0]}" for e in errors)
            examples += [f"{target.name}: {e}" for e in errors[:3]]
            print(f"  {target.name}: p95 {rows[-1].p95_ms:.1f} ms", flush=True)
    finally:
        stop_server(server)
    load_after = os.getloadavg()[0]
    print(f"\n» load average after: {load_after:.2f}\n")
    print_table(rows)
    print(
        "".join(f"  errors: {n} x {f} (see gunicorn.log; --keep)\n" for f, n in failures.items()),
        end="",
    )
    print("".join(f"    e.g. {e}\n" for e in examples[:10]), end="")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(), "workers": args.workers, "concurrency": args.concurrency,
        "requests_per_target": args.requests, "warmup": args.warmup, "scale": args.scale,
        "query": query, "demo_seconds": round(demo_s, 2), "loadavg_before": load_before,
        "loadavg_after": load_after, "aim_p95_ms": AIM_P95_MS, "aim_floor_ratio": AIM_FLOOR_RATIO,
        "errors": dict(failures),
    }  # fmt: skip
    figures = {**meta, "results": [asdict(r) for r in rows]}
    RESULTS.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    print(f"» figures written to {RESULTS}")
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=300, help="measured requests per target")
    parser.add_argument("--warmup", type=int, default=40, help="unmeasured requests first")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--scale", help="passed to `telekam demo --scale` if it has it")
    parser.add_argument("--query", help="search text for ?q= (default: from an account name)")
    parser.add_argument("--keep", action="store_true", help="keep the var dir (and gunicorn.log)")
    args = parser.parse_args(argv)

    for signum in (signal.SIGINT, signal.SIGTERM):  # `kill` cleans up as Ctrl+C does
        signal.signal(signum, signal.default_int_handler)
    var_dir = Path(tempfile.mkdtemp(prefix="telekam-bench-"))
    try:
        return measure(args, var_dir)
    except SetupError as exc:
        print(f"\nbenchmark failed: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    finally:
        if args.keep:
            print(f"» kept {var_dir}")
        else:
            shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
