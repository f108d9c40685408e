"""Install the project's requirements, then the bundle's runtime where the project has none.

    python install_requirements.py PROJECT_REQUIREMENTS BUNDLE_REQUIREMENTS

Run by the image's build stage with the virtualenv's Python:
1. the project's requirements, as the project pins them (wheels preferred; a package
   without a wheel builds from source only when build packages were installed);
2. each package of the bundle (BUNDLE_REQUIREMENTS: `name==pin  # needs <range>`) the
   project already installed must lie within the bundle's range; the others are added at
   the bundle's pins, never changing a version the project installed;
3. `pip check`.
Every failure ends with one line `build error: ...` that names the package.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from pip._vendor.packaging.requirements import Requirement
from pip._vendor.packaging.specifiers import SpecifierSet
from pip._vendor.packaging.utils import canonicalize_name

PIP = [sys.executable, "-m", "pip"]
_NEEDS = re.compile(r"#\s*needs\s+(\S+)")
# How pip names a package whose build from source failed, across pip versions.
_BUILD_FAILED = [
    re.compile(
        r"Failed to build (?:installable wheels for some pyproject\.toml based projects )?"
        r"\(?'?([A-Za-z0-9][A-Za-z0-9._-]*)"
    ),
    re.compile(r"Could not build wheels for ([A-Za-z0-9][A-Za-z0-9._-]*)"),
    re.compile(r"Failed building wheel for ([A-Za-z0-9][A-Za-z0-9._-]*)"),
]
_COLLECTING = re.compile(r"^Collecting ([A-Za-z0-9][A-Za-z0-9._-]*)", re.MULTILINE)


class BuildError(Exception):
    pass


def pip(*args: str) -> str:
    """Runs pip, echoing its output; raises with the output when it fails."""
    proc = subprocess.run([*PIP, *args], capture_output=True, text=True, check=False)
    sys.stdout.write(proc.stdout)
    sys.stderr.write(proc.stderr)
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, args, proc.stdout, proc.stderr)
    return proc.stdout


def source_build_failure(output: str) -> str | None:
    """The package whose build from source failed, if that is what pip reports."""
    for pattern in _BUILD_FAILED:
        match = pattern.search(output)
        if match:
            return match.group(1)
    if "metadata-generation-failed" in output or "subprocess-exited-with-error" in output:
        collected = _COLLECTING.findall(output)
        return collected[-1] if collected else "a package"
    return None


def install_project(requirements: Path, can_compile: bool) -> None:
    try:
        pip("install", "--prefer-binary", "--no-compile", "-r", str(requirements))
    except subprocess.CalledProcessError as exc:
        output = f"{exc.stdout}\n{exc.stderr}"
        package = source_build_failure(output)
        if package is None:
            last = [line for line in exc.stderr.splitlines() if line.startswith("ERROR")]
            raise BuildError(
                "the project's requirements cannot be installed: "
                + (last[-1] if last else f"pip exited with {exc.returncode}")
            ) from None
        python = f"{sys.version_info.major}.{sys.version_info.minor}"
        if can_compile:
            raise BuildError(
                f"{package} has no wheel for Python {python} here and its build from source "
                "failed with the packages of django_app_build_packages: add the compilers and "
                "headers it needs (see its build log)"
            ) from None
        raise BuildError(
            f"{package} has no wheel for Python {python} here and builds from source: list "
            "the compilers and headers it needs in django_app_build_packages (for example "
            "[build-essential, libpq-dev]) and the libraries it loads at run time in "
            "django_app_runtime_packages (for example [libpq5])"
        ) from None


def bundle_requirements(path: Path) -> list[tuple[Requirement, SpecifierSet | None]]:
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        spec, _, comment = line.partition("#")
        if not spec.strip():
            continue
        needs = _NEEDS.search(f"#{comment}") if comment else None
        entries.append((Requirement(spec.strip()), SpecifierSet(needs.group(1)) if needs else None))
    return entries


def installed_versions() -> dict[str, str]:
    return {
        canonicalize_name(dist.metadata["Name"]): dist.version
        for dist in metadata.distributions()
        if dist.metadata["Name"]
    }


def add_bundle(bundle: Path) -> None:
    installed = installed_versions()
    missing = []
    for requirement, needs in bundle_requirements(bundle):
        name = canonicalize_name(requirement.name)
        if name not in installed:
            missing.append(requirement)
        elif needs is not None and not needs.contains(installed[name], prereleases=True):
            raise BuildError(
                f"the project's requirements install {requirement.name} {installed[name]}; "
                f"the bundle needs {requirement.name}{needs}"
            )
    if not missing:
        return
    # The project's versions are fixed; the bundle's pins apply to everything else.
    constraints = [f"{name}=={version}" for name, version in installed.items()]
    constraints += [
        f"{r.name}{r.specifier}"
        for r, _ in bundle_requirements(bundle)
        if canonicalize_name(r.name) not in installed
    ]
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as file:
        file.write("\n".join(constraints) + "\n")
    try:
        pip("install", "--prefer-binary", "--no-compile", "-c", file.name, *map(str, missing))
    except subprocess.CalledProcessError as exc:
        last = [line for line in exc.stderr.splitlines() if line.strip()]
        raise BuildError(
            "the bundle's runtime requirements cannot be installed beside the project's "
            f"versions ({', '.join(r.name for r in missing)}): "
            + (last[-1].strip() if last else f"pip exited with {exc.returncode}")
        ) from None
    finally:
        os.unlink(file.name)


def check() -> None:
    try:
        pip("check")
    except subprocess.CalledProcessError as exc:
        first = (exc.stdout.strip().splitlines() or ["pip check failed"])[0]
        raise BuildError(f"the installed requirements conflict: {first}") from None


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(f"usage: {argv[0]} PROJECT_REQUIREMENTS BUNDLE_REQUIREMENTS", file=sys.stderr)
        return 2
    can_compile = bool(os.environ.get("BUILD_PACKAGES", "").strip())
    try:
        install_project(Path(argv[1]), can_compile)
        add_bundle(Path(argv[2]))
        check()
    except BuildError as error:
        print(f"build error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
