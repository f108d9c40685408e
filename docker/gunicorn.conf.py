"""Gunicorn settings for the container, tunable through GUNICORN_* variables.

The container runs with a read-only root filesystem: nothing here writes outside
/dev/shm and /tmp.
"""

import os


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"configuration error: {name} is invalid: expected an integer") from None
    if value < 0:
        raise SystemExit(f"configuration error: {name} is invalid: expected an integer >= 0")
    return value


def _cpu_quota() -> tuple[int, int] | None:
    """The cgroup CPU quota (`docker run --cpus`) as (quota, period), v2 or v1."""
    try:
        with open("/sys/fs/cgroup/cpu.max", encoding="ascii") as f:
            quota, period = f.read().split()
        return None if quota == "max" else (int(quota), int(period))
    except (OSError, ValueError):
        pass
    try:
        with open("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", encoding="ascii") as f:
            quota = int(f.read())
        with open("/sys/fs/cgroup/cpu/cpu.cfs_period_us", encoding="ascii") as f:
            period = int(f.read())
        return None if quota <= 0 else (quota, period)
    except (OSError, ValueError):
        return None


def _cpus() -> int:
    """CPUs this container may use: its CPU set, capped by its CPU quota."""
    cpus = len(os.sched_getaffinity(0))
    quota = _cpu_quota()
    if quota is not None:
        cpus = min(cpus, max(1, -(-quota[0] // quota[1])))
    return cpus


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = _int("GUNICORN_WORKERS", 2 * _cpus() + 1)
# More than one thread switches Gunicorn to the gthread worker.
threads = _int("GUNICORN_THREADS", 1)
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then (bounded memory growth); jitter keeps them from
# restarting all at once.
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 100)
# Load the app once in the master: workers fork with it (less memory, faster
# recycling), and a configuration error stops start-up with one line instead of
# every worker failing in turn.
preload_app = True
# The heartbeat file must not be on the (read-only, or overlay) root filesystem.
worker_tmp_dir = "/dev/shm"
# The runtime control socket would need a writable $HOME; it is not used.
control_socket_disable = True
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Only a proxy on the same host may set X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
