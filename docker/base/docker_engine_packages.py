"""The Debian packages the docker_engine role installs on a host, one a line, read from the
role's defaults and vars: the platform image with the engine preinstalled (build-images.sh)
holds exactly what the role would install, with no second list to keep in step.

Usage: docker_engine_packages.py DEBIAN_MAJOR_VERSION
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

ROLE = Path(__file__).resolve().parents[2] / "roles" / "docker_engine"

# The role variables its install tasks (tasks/install.yml) name their packages with.
PACKAGE_VARIABLES = (
    "docker_engine_package",
    "docker_engine_version",
    "docker_engine__cli_packages",
    "docker_engine__archive_packages",
    "docker_engine_extra_packages",
    "docker_engine_python_packages",
)


def role_variables(role: Path = ROLE) -> dict[str, Any]:
    """The role's defaults with its vars over them, as Ansible merges them."""
    merged: dict[str, Any] = {}
    for path in (role / "defaults" / "main.yml", role / "vars" / "main.yml"):
        merged.update(yaml.safe_load(path.read_text()) or {})
    return merged


def packages(version: str, variables: dict[str, Any]) -> list[str]:
    """Engine (pinned when the role pins it), CLI, archive, extra and Python packages."""
    pin = variables["docker_engine_version"]
    engine = variables["docker_engine_package"] + (f"={pin}" if pin else "")
    return [
        engine,
        *variables["docker_engine__cli_packages"][version],
        *variables["docker_engine__archive_packages"],
        *variables["docker_engine_extra_packages"],
        *variables["docker_engine_python_packages"],
    ]


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(f"usage: {argv[0]} DEBIAN_MAJOR_VERSION", file=sys.stderr)
        return 2
    variables = role_variables()
    if argv[1] not in variables["docker_engine__cli_packages"]:
        print(f"error: the docker_engine role does not support Debian {argv[1]}", file=sys.stderr)
        return 2
    print("\n".join(packages(argv[1], variables)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
