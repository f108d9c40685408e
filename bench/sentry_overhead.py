"""Sentry's cost in the app image: throughput, latency and CPU per request under wrk.

Runs the image once per variant (Sentry off, errors only, the bundle's defaults, ...)
side by side, loads each with wrk in turn (interleaved, several rounds) on 127.0.0.1,
and prints medians and ratios to "off" measured in the same run. Then checks error
delivery under load against the stand-in's slow ingest, and prints the image size.
Prints numbers only; nothing here asserts on time.

    bench/run.sh [--duration 8] [--rounds 3] [--variants off,errors,defaults] [--image TAG]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests" / "app")]

import appimage  # noqa: E402

from tools.sentry_standin import make_server  # noqa: E402

PUBLIC_KEY = "0a1b2c3d4e5f40718293a4b5c6d74501"  # the stand-in's seeded key for `web`
SECRET_KEY = "bench-only-0f1e2d3c4b5a69788796a5b4c3d2e1f0-not-a-real-secret"
ENDPOINTS = {"trivial": "/version", "realistic": "/"}
ERRORS_ONLY = {"SENTRY_TRACES_SAMPLE_RATE": "0", "SENTRY_PROFILES_SAMPLE_RATE": "0"}
GTHREAD = {"GUNICORN_WORKERS": "2", "GUNICORN_THREADS": "8"}
UNBUDGETED = {"SENTRY_TRACES_MAX_PER_SECOND": "1000000"}
# Per variant: whether Sentry is on (a DSN is set) and the environment on top of the
# image's defaults. The default run measures off, errors, defaults and seed; the
# others document tuning steps.
VARIANTS: dict[str, tuple[bool, dict[str, str]]] = {
    "off": (False, {}),
    "errors": (True, ERRORS_ONLY),
    "defaults": (True, {}),
    # The seed's sampling with nothing shed: every request traced and profiled.
    "seed": (True, UNBUDGETED),
    "seed-noprof": (True, {**UNBUDGETED, "SENTRY_PROFILES_SAMPLE_RATE": "0"}),
    "defaults-budget10": (True, {"SENTRY_TRACES_MAX_PER_SECOND": "10"}),
    "off-gthread": (False, GTHREAD),
    "errors-gthread": (True, {**ERRORS_ONLY, **GTHREAD}),
    "defaults-gthread": (True, GTHREAD),
    "seed-gthread": (True, {**UNBUDGETED, **GTHREAD}),
}
ITEM_TYPE = re.compile(rb'\{"type":"([a-z_]+)"')


class Sink(ThreadingHTTPServer):
    """A fast ingest: answers 200 at once and counts the envelope items it receives."""

    daemon_threads = True

    def __init__(self, host: str) -> None:
        super().__init__((host, 0), _SinkHandler)
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


class _SinkHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Sink

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        # Envelope: a header line, then per item a header line and a one-line payload.
        lines = body.split(b"\n")
        types = [ITEM_TYPE.match(line).group(1) for line in lines[1::2] if ITEM_TYPE.match(line)]
        with self.server.lock:
            self.server.counts.update(t.decode() for t in types)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: object) -> None:
        pass


def serve(server: ThreadingHTTPServer) -> ThreadingHTTPServer:
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def require_wrk() -> None:
    if shutil.which("wrk"):
        return
    if os.geteuid() != 0:
        sys.exit("error: wrk is required (apt-get install -y wrk)")
    print("installing wrk (apt-get install -y wrk)", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)


@dataclass
class Sample:
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float
    transactions: int = 0
    requests: int = 0


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, duration: int, connections: int, threads: int) -> tuple[float, float, float, int]:
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", url],
        capture_output=True, text=True, timeout=duration + 60, check=True,
    ).stdout  # fmt: skip
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.MULTILINE).group(1))
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non_2xx:
        raise RuntimeError(f"{url}: {non_2xx.group(1)} failed responses under load")
    return rps, p50, p99, total


def container_cpu_seconds(container_id: str) -> float:
    """Cumulative CPU time of a container, from its cgroup (v1 or v2)."""
    for path, scale in [
        (f"/sys/fs/cgroup/cpuacct/docker/{container_id}/cpuacct.usage", 1e-9),
        (f"/sys/fs/cgroup/cpu,cpuacct/docker/{container_id}/cpuacct.usage", 1e-9),
    ]:
        if os.path.exists(path):
            return int(Path(path).read_text()) * scale
    for path in [
        f"/sys/fs/cgroup/system.slice/docker-{container_id}.scope/cpu.stat",
        f"/sys/fs/cgroup/docker/{container_id}/cpu.stat",
    ]:
        if os.path.exists(path):
            stats = dict(line.split() for line in Path(path).read_text().splitlines())
            return int(stats["usage_usec"]) * 1e-6
    raise RuntimeError(f"no cgroup CPU accounting found for container {container_id[:12]}")


@dataclass
class Variant:
    name: str
    app: appimage.AppContainer
    container_id: str
    sink: Sink
    samples: dict[str, list[Sample]] = field(default_factory=dict)


def variant_env(sentry: bool, settings: dict[str, str], ingest: str) -> dict[str, str]:
    env = {"DJANGO_SECRET_KEY": SECRET_KEY, "SENTRY_RELEASE": "web@bench", **settings}
    if sentry:
        env["SENTRY_DSN"] = f"http://{PUBLIC_KEY}@{ingest.split('://', 1)[1]}/4501"
    return env


def measure(variants: list[Variant], args: argparse.Namespace) -> None:
    for path in ENDPOINTS.values():
        for v in variants:  # warm-up: templates, connections, the profiler's first start
            wrk(v.app.url + path, 2, args.connections, args.threads)
    for round_no in range(args.rounds):
        for endpoint, path in ENDPOINTS.items():
            # Rotate the order each round so no variant always runs first or last.
            order = variants[round_no % len(variants) :] + variants[: round_no % len(variants)]
            for v in order:
                with v.sink.lock:
                    before = v.sink.counts["transaction"]
                cpu0 = container_cpu_seconds(v.container_id)
                rps, p50, p99, total = wrk(
                    v.app.url + path, args.duration, args.connections, args.threads
                )
                cpu = container_cpu_seconds(v.container_id) - cpu0
                time.sleep(1)  # let the last transactions of this run arrive
                with v.sink.lock:
                    sent = v.sink.counts["transaction"] - before
                sample = Sample(rps, p50, p99, cpu * 1000 / max(total, 1), sent, total)
                v.samples.setdefault(endpoint, []).append(sample)
                print(
                    f"  round {round_no + 1} {endpoint:9} {v.name:12} {rps:8.1f} req/s "
                    f"p50 {p50:6.2f} ms  p99 {p99:7.2f} ms  cpu {sample.cpu_ms:5.2f} ms/req  "
                    f"transactions {sent}/{total}",
                    flush=True,
                )


def baseline(v: Variant, variants: list[Variant]) -> Variant:
    """The Sentry-off variant with the same Gunicorn settings (or the first one)."""
    wanted = "off-gthread" if v.name.endswith("-gthread") else "off"
    return next((b for b in variants if b.name == wanted), variants[0])


def report(variants: list[Variant]) -> None:
    print(
        "\nmedians over rounds; ratio = req/s / req/s of Sentry off (same worker model) "
        "in the same round; tx sent = transactions received / requests"
    )
    header = (
        f"{'endpoint':10} {'variant':12} {'req/s':>8} {'ratio':>6} {'p50 ms':>7} "
        f"{'p99 ms':>7} {'cpu ms/req':>10} {'tx sent':>8}"
    )
    print(header)
    print("-" * len(header))
    for endpoint in ENDPOINTS:
        for v in variants:
            samples = v.samples[endpoint]
            off = baseline(v, variants).samples[endpoint]
            ratios = [s.rps / o.rps for s, o in zip(samples, off, strict=True)]
            sent = sum(s.transactions for s in samples) / max(sum(s.requests for s in samples), 1)
            print(
                f"{endpoint:10} {v.name:12} {statistics.median(s.rps for s in samples):8.1f} "
                f"{statistics.median(ratios):6.2f} "
                f"{statistics.median(s.p50_ms for s in samples):7.2f} "
                f"{statistics.median(s.p99_ms for s in samples):7.2f} "
                f"{statistics.median(s.cpu_ms for s in samples):10.2f} "
                f"{f'{sent:.0%}' if sent else '-':>8}"
            )


def ingested(standin_url: str) -> list[dict]:
    return json.loads(appimage.get(f"{standin_url}/_standin/events", timeout=30)[1])


def error_delivery(image: str, gateway: str, workdir: Path, args: argparse.Namespace) -> None:
    """Errors triggered during saturation load must all reach a slow (50 ms) ingest."""
    standin = serve(make_server(gateway, 0, ingest_delay_ms=50))
    env = variant_env(True, {"SENTRY_DEBUG_VIEW": "1"}, standin.url)
    try:
        with appimage.run_app(image, env, workdir, name_prefix="dsd-bench") as app:
            appimage.wait_until_answering(app.url)
            appimage.get(app.url + "/")
            triggered = []

            def trigger() -> None:
                time.sleep(1)
                for _ in range(args.errors):
                    triggered.append(appimage.get(app.url + "/sentry-debug/", timeout=30)[0])
                    time.sleep(max(0.0, (args.duration - 2) / args.errors))

            thread = threading.Thread(target=trigger)
            thread.start()
            _, _, _, total = wrk(app.url + "/", args.duration, args.connections, args.threads)
            thread.join()
            load_end = time.monotonic()
            errors, waited = 0, 0.0
            while time.monotonic() - load_end < 30:
                errors = sum(1 for e in ingested(standin.url) if e["type"] == "event")
                waited = time.monotonic() - load_end
                if errors >= len(triggered):
                    break
                time.sleep(0.25)
            transactions = sum(1 for e in ingested(standin.url) if e["type"] == "transaction")
            shed = [line for line in app.logs().splitlines() if "Sentry shed" in line]
    finally:
        standin.shutdown()
        standin.server_close()
    print(
        f"\nerrors under load (defaults, ingest answering in 50 ms, wrk -c{args.connections} "
        f"{args.duration}s on /): {errors}/{len(triggered)} error events delivered "
        f"({sum(1 for s in triggered if s == 500)} answered 500), all within "
        f"{waited:.1f}s of the load ending; transactions received {transactions} of "
        f"{total + len(triggered)} requests"
    )
    for line in shed:
        print(f"  app log: {line}")


def image_sizes(image: str) -> None:
    size = int(appimage.docker("image", "inspect", "-f", "{{.Size}}", image))
    base = int(appimage.docker("image", "inspect", "-f", "{{.Size}}", appimage.BASE_IMAGE))
    print(
        f"\nimage {image}: {size / 1e6:.1f} MB; base {appimage.BASE_IMAGE}: "
        f"{base / 1e6:.1f} MB; above base: {(size - base) / 1e6:.1f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=8, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--errors", type=int, default=50, help="errors triggered under load")
    parser.add_argument("--variants", default="off,errors,defaults,seed")
    parser.add_argument("--skip-delivery", action="store_true")
    parser.add_argument("--image", help="an app image to measure instead of the tree's")
    args = parser.parse_args()
    names = args.variants.split(",")
    unknown = set(names) - set(VARIANTS)
    if unknown or not names[0].startswith("off"):
        sys.exit(f"error: variants start with an 'off' one and are among {', '.join(VARIANTS)}")

    require_wrk()
    image = args.image or appimage.ensure_image()
    gateway = appimage.bridge_gateway()
    print(f"image {image}; {os.cpu_count()} CPUs; each variant has its own fast ingest", flush=True)
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        variants = []
        for name in names:
            sink = serve(Sink(gateway))
            stack.callback(sink.shutdown)
            env = variant_env(*VARIANTS[name], sink.url)
            app = stack.enter_context(
                appimage.run_app(image, env, Path(tmp), name_prefix=f"dsd-bench-{name}")
            )
            container_id = appimage.docker("inspect", "-f", "{{.Id}}", app.name)
            variants.append(Variant(name, app, container_id, sink))
        for v in variants:
            appimage.wait_until_answering(v.app.url)
        measure(variants, args)
        report(variants)
    if not args.skip_delivery:
        with tempfile.TemporaryDirectory() as tmp:
            error_delivery(image, gateway, Path(tmp), args)
    image_sizes(image)


if __name__ == "__main__":
    main()
