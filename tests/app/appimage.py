"""Build and run the app image for tests and benchmarks (docker CLI).

The image is built the way the role builds it: django_project_info's discovery and
django_build_context's context (module_utils/django_project.py), then docker/Dockerfile
with the build arguments discovery returns. Its tag is discovery's digest of everything the
build reads, so an unchanged tree reuses the image.
"""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
from module_utils import django_project  # noqa: E402 (after the repository is importable)

BASE_IMAGE = os.environ.get("APP_BASE_IMAGE", "django-sentry-deploy/debian:12")
IMAGE_REPO = "django-sentry-deploy/web"
# The bundle's files in the context, as roles/django_app/vars/main.yml lists them.
BUNDLE_FILES = (
    "docker/Dockerfile",
    "docker/entrypoint",
    "docker/gunicorn.conf.py",
    "docker/install_requirements.py",
    "docker/proxy",
    "runtime/requirements.txt",
    "runtime/django_sentry_deploy",
)
# CA certificates added on the build host (e.g. for a TLS-inspecting proxy in front of
# the package index) are trusted by the image's build stage too.
LOCAL_CA_DIR = Path("/usr/local/share/ca-certificates")
APP_UID = 10001


def docker(*args: str, check: bool = True, timeout: float = 120) -> str:
    proc = subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and proc.returncode != 0:
        raise RuntimeError(f"docker {args[0]} failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc.stdout.strip()


def docker_available() -> bool:
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def image_exists(ref: str) -> bool:
    return bool(docker("image", "ls", "-q", ref, check=False))


def discover(project_dir: Path, bases: list[dict[str, str]] | None = None, **options: str) -> dict:
    """What the role's django_project_info finds, for this base image unless `bases` lists
    others; `options` are the module's other options (settings_module, ...)."""
    bases = bases or [{"image": BASE_IMAGE, "python": "3.11"}]
    base_ids = [docker("image", "inspect", "-f", "{{.Id}}", base["image"]) for base in bases]
    return django_project.discover(
        {
            "project_dir": str(project_dir),
            "bases": bases,
            "bundle_requirements": str(REPO / "runtime" / "requirements.txt"),
            "extra_paths": [str(REPO / path) for path in BUNDLE_FILES],
            "extra_digest": ",".join(base_ids),
            **options,
        },
        None,
        lambda *args, **kwargs: (1, "", ""),
    )


def _local_ca_certs() -> str:
    if not LOCAL_CA_DIR.is_dir():
        return ""
    return "".join(p.read_text() for p in sorted(LOCAL_CA_DIR.glob("*.crt")))


def ensure_image(project_dir: Path = REPO / "app") -> str:
    """The project's image for the current tree: reused when present, built otherwise."""
    if not image_exists(BASE_IMAGE):
        raise RuntimeError(f"base image {BASE_IMAGE} is missing: build it with `make images`")
    found = discover(project_dir)
    tag = f"{IMAGE_REPO}:ctx-{found['digest'][:16]}"
    if image_exists(tag):
        return tag
    build_image(found, tag, REPO / ".cache" / "build" / "tests")
    _remove_stale_tags(keep=tag)
    return tag


def build_image(
    found: dict, tag: str, context: Path, extra_build_args: dict[str, str] | None = None
) -> str:
    """Build discovery's project as the role does: its context in `context`, then
    docker/Dockerfile with discovery's build arguments (and `extra_build_args`); return
    the build's output."""
    built = django_project.build_context(
        {
            "project_dir": found["project_dir"],
            "dest": str(context),
            "requirements": found["requirements"],
            "bundle_files": [{"src": str(REPO / path), "dest": path} for path in BUNDLE_FILES],
        },
        check_mode=False,
    )
    args = {
        **found["build_args"],
        **(extra_build_args or {}),
        "VERSION": "0.0.0-test",
        "REVISION": tag.rsplit("-", 1)[-1],
    }
    ca = _local_ca_certs()
    if ca:
        args["BUILD_CA_CERTS"] = ca
    # --force-rm: a failed step's container is removed too, not left holding its images.
    proc = subprocess.run(
        ["docker", "build", "--force-rm", "-f", "docker/Dockerfile", "-t", tag, "."]
        + [f"--build-arg={name}={value}" for name, value in args.items()],
        cwd=built["dest"],
        env={**os.environ, "DOCKER_BUILDKIT": "0"},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if proc.returncode != 0:
        raise BuildError(proc.stdout, proc.stderr)
    return proc.stdout


class BuildError(RuntimeError):
    """A failed image build, with its whole output (the steps it made images for)."""

    def __init__(self, output: str, errors: str) -> None:
        super().__init__(f"image build failed:\n{output[-3000:]}\n{errors[-3000:]}")
        self.output = output


def _remove_stale_tags(keep: str) -> None:
    """Untag the images built for earlier trees (an image still in use stays)."""
    tags = docker("image", "ls", "--format", "{{.Repository}}:{{.Tag}}", IMAGE_REPO).split()
    for stale in tags:
        if stale != keep and stale.startswith(f"{IMAGE_REPO}:ctx-"):
            docker("rmi", stale, check=False)


def bridge_gateway() -> str:
    """The host's address on Docker's default bridge, where containers reach host services."""
    out = docker("network", "inspect", "bridge", "-f", "{{json .IPAM.Config}}")
    config = json.loads(out)[0]
    if config.get("Gateway"):
        return config["Gateway"]
    return str(next(ipaddress.ip_network(config["Subnet"]).hosts()))


@dataclass
class AppContainer:
    name: str
    url: str

    def inspect(self) -> dict:
        return json.loads(docker("inspect", self.name))[0]

    def health(self) -> str | None:
        state = self.inspect()["State"]
        return (state.get("Health") or {}).get("Status")

    def logs(self) -> str:
        proc = subprocess.run(
            ["docker", "logs", self.name], capture_output=True, text=True, timeout=30, check=False
        )
        return proc.stdout + proc.stderr


def get(url: str, timeout: float = 10, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_until_answering(url: str, deadline_s: float = 60) -> None:
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            if get(f"{url}/healthz", timeout=2)[0] == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url}/healthz did not answer within {deadline_s}s")
        time.sleep(0.2)


@contextmanager
def run_app(
    image: str,
    env: dict[str, str],
    workdir: Path,
    name_prefix: str = "dsd-apptest",
    cpus: str | None = None,
    data_volume: str | None = None,
) -> Iterator[AppContainer]:
    """Run the image hardened as in production; removed by name afterwards.

    `/data` is a tmpfs unless `data_volume` names a Docker volume to mount there.
    """
    name = f"{name_prefix}-{secrets.token_hex(4)}"
    args = ["run", "--detach", "--name", name, *hardening(data_volume)]
    args += ["--memory", "512m", "--publish", "127.0.0.1::8000"]
    if cpus:
        args += ["--cpus", cpus]
    try:
        with env_file(env, workdir, name) as path:
            docker(*args, "--env-file", str(path), image)
        port = docker("port", name, "8000/tcp").splitlines()[0].rsplit(":", 1)[-1]
        yield AppContainer(name=name, url=f"http://127.0.0.1:{port}")
    finally:
        docker("rm", "--force", "--volumes", name, check=False)


def hardening(data_volume: str | None = None) -> list[str]:
    """`docker run` options of the production container: read-only root, no capabilities."""
    data = (
        ["--volume", f"{data_volume}:/data"]
        if data_volume
        else ["--tmpfs", f"/data:uid={APP_UID},gid={APP_UID},mode=0700"]
    )
    return [
        "--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
        "--tmpfs", "/tmp", *data,
    ]  # fmt: skip


@contextmanager
def env_file(env: dict[str, str], workdir: Path, name: str) -> Iterator[Path]:
    """The variables in a file readable by its owner only (values stay off the command line)."""
    path = workdir / f"{name}.env"
    path.touch(mode=0o600)
    path.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def run_once(
    image: str, env: dict[str, str], workdir: Path, *command: str, data_volume: str | None = None
) -> subprocess.CompletedProcess[str]:
    """One command in a hardened, short-lived container (`docker run --rm`)."""
    name = f"dsd-apptest-once-{secrets.token_hex(4)}"
    with env_file(env, workdir, name) as path:
        args = ["run", "--rm", "--name", name, *hardening(data_volume), "--env-file", str(path)]
        return subprocess.run(
            ["docker", *args, image, *command],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
