"""The app image's size for the sample app and for each project tests/projects/generate.py
makes, and the archive a deploy ships of it.

    .venv/bin/python bench/image_sizes.py

Each image is built as the role builds it (tests/app/appimage.py: django_project_info's
discovery over the role's default bases, django_build_context's context, docker/Dockerfile),
tagged bench-image-sizes/<name>:<run>, then measured: bytes above its base (`docker image
inspect` Size of each), its `docker save` archive, and that archive compressed as
module_utils/image_archive.py ships it (zstd, its default level 3). Every image the builds
made and the temporary directory are removed at the end. Asserts nothing; needs the Docker
engine, the base images (`make images`) and the package index.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests" / "app")]
import appimage  # noqa: E402 (tests/app: on the path above)

from module_utils import image_archive  # noqa: E402
from tests.projects.generate import KINDS, generate  # noqa: E402

IMAGE_REPO = "bench-image-sizes"
# The settings module each generated kind is deployed with (molecule/django_app/projects.yml):
# django61's manage.py names its development settings.
SETTINGS = {"django61": "mysite.settings.production"}
# The legacy builder prints the image of every step as " ---> <short id>".
STEP_IMAGE = re.compile(r"^ ---> ([0-9a-f]{12})$", re.MULTILINE)


@dataclass(frozen=True)
class Sizes:
    name: str
    base: str
    above_base: int
    saved: int
    zstd: int


def role_bases() -> list[dict[str, str]]:
    defaults = yaml.safe_load((REPO / "roles/django_app/defaults/main.yml").read_text())
    return defaults["django_app_build_bases"]


def size(image: str) -> int:
    return int(appimage.docker("image", "inspect", "-f", "{{.Size}}", image))


def all_image_ids() -> set[str]:
    return set(appimage.docker("image", "ls", "--all", "--quiet", "--no-trunc").split())


def made_by(output: str, before: set[str]) -> list[str]:
    """The images a build created (not reused from the cache), children first."""
    created = {image.removeprefix("sha256:")[:12]: image for image in all_image_ids() - before}
    steps = list(dict.fromkeys(STEP_IMAGE.findall(output)))
    return [created[short] for short in reversed(steps) if short in created]


def remove(tag: str, images: list[str]) -> None:
    """Untag, then remove the images one by one (`--no-prune`: parents that were there
    before the build, cache of other builds, stay)."""
    appimage.docker("rmi", "--no-prune", tag, check=False)
    for image in images:
        appimage.docker("rmi", "--no-prune", image, check=False)
    left = set(images) & all_image_ids()
    if left:
        print(f"{tag}: {len(left)} image(s) in use elsewhere were kept", file=sys.stderr)


def saved_bytes(tag: str) -> int:
    total = 0
    with subprocess.Popen(["docker", "save", tag], stdout=subprocess.PIPE) as save:
        assert save.stdout is not None
        while chunk := save.stdout.read(image_archive.CHUNK):
            total += len(chunk)
    if save.returncode != 0:
        raise RuntimeError(f"docker save {tag} failed ({save.returncode})")
    return total


def measure(name: str, found: dict, tag: str, work: Path) -> Sizes:
    base = found["base_image"]
    archive = work / f"{name}.tar.zst"
    image_archive.export([tag], archive, "zstd")
    zstd = archive.stat().st_size
    archive.unlink()
    return Sizes(name, base, size(tag) - size(base), saved_bytes(tag), zstd)


@contextmanager
def built(found: dict, tag: str, context: Path) -> Iterator[None]:
    """The image, built as the role builds it; afterwards every image the build made is
    removed, whether it succeeded or not."""
    before = all_image_ids()
    output = ""
    try:
        output = appimage.build_image(found, tag, context)
        yield
    except appimage.BuildError as error:
        output = error.output
        raise
    finally:
        remove(tag, made_by(output, before))


def build_and_measure(name: str, project: Path, run: str, work: Path, **options: str) -> Sizes:
    found = appimage.discover(project, role_bases(), **options)
    tag = f"{IMAGE_REPO}/{name}:{run}"
    with built(found, tag, work / "context" / name):
        return measure(name, found, tag, work)


def megabytes(count: int) -> str:
    return f"{count / 1e6:.1f} MB"


def table(rows: list[Sizes]) -> str:
    lines = [
        "| Image | Base | Above base | `docker save` | zstd -3 |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        cells = [megabytes(value) for value in (row.above_base, row.saved, row.zstd)]
        lines.append(f"| {row.name} | {row.base} | {' | '.join(cells)} |")
    return "\n".join(lines)


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def settings_of(kind: str) -> dict[str, str]:
    return {"settings_module": SETTINGS[kind]} if kind in SETTINGS else {}


def main() -> int:
    if not appimage.docker_available():
        print("image_sizes: no Docker engine answers", file=sys.stderr)
        return 1
    run = secrets.token_hex(4)
    print(f"load average at the start (1, 5, 15 min): {load_average()}", file=sys.stderr)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-image-sizes-") as temp:
        work = Path(temp)
        rows.append(build_and_measure("app", REPO / "app", run, work))
        for kind in KINDS:
            project = generate(kind, work / "projects" / kind)
            rows.append(build_and_measure(kind, project, run, work, **settings_of(kind)))
    print(f"load average at the end (1, 5, 15 min): {load_average()}", file=sys.stderr)
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
