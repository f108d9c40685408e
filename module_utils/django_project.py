"""A Django project on the controller: what the image needs from it, and its build context.

Discovery reads the project statically (nothing of it is imported or run): manage.py, the
settings module, WSGI_APPLICATION, the requirements and the Python they need. The same
ignore rules select the files for the digest and for the build context.
"""

from __future__ import annotations

import ast
import fnmatch
import hashlib
import os
import re
import stat
import sys
import tempfile
import tomllib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

try:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.utils import canonicalize_name
    from packaging.version import InvalidVersion, Version
except ImportError:  # pragma: no cover - depends on the controller's Python
    PACKAGING_MISSING = True
else:
    PACKAGING_MISSING = False

PACKAGING_HINT = (
    "the Python package 'packaging' is missing on the controller's Python "
    f"({sys.executable}); install it next to ansible-core"
)

# Directories never searched for manage.py, never copied and never digested, anywhere.
IGNORED_DIRS = frozenset({
    ".git", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".mypy_cache",
    ".pytest_cache", ".ruff_cache", ".cache",
})
# Ignored only at the top of the project.
IGNORED_TOP_DIRS = frozenset({"staticfiles", "media"})
IGNORED_FILES = ("*.pyc", ".env", ".env.*", "*.sqlite3")
# Searched for manage.py one level down: the ignored directories plus build output.
NOT_SEARCHED = IGNORED_DIRS | IGNORED_TOP_DIRS | {"build", "dist", "env"}

SUPPORTED_FORMATS = "requirements.txt, or pyproject.toml with [project].dependencies"
EXPORT_HINT = (
    f"export them to one of the supported formats ({SUPPORTED_FORMATS}): e.g. "
    "`poetry export -f requirements.txt -o requirements.txt` or "
    "`uv export --format requirements-txt -o requirements.txt`"
)
LOCAL_PATH_HINT = (
    "local path requirements are not supported: the project is run from source, not installed"
)
# Lowest Python of each Django series; a series not listed needs what the newest listed needs.
DJANGO_PYTHON = {
    (4, 2): "3.8", (5, 0): "3.10", (5, 1): "3.10", (5, 2): "3.10", (6, 0): "3.12",
    (6, 1): "3.12",
}
NEEDS_COMMENT = re.compile(r"#\s*needs\s+(?P<spec>[^#]+?)\s*$")
CONTEXT_MARKER = ".django-build-context"


class ProjectError(Exception):
    """The project cannot be deployed as it is: one line saying why, naming the file."""


# --------------------------------------------------------------------------- ignore rules


@dataclass(frozen=True)
class IgnorePattern:
    regex: re.Pattern[str]
    negated: bool


def _segment_regex(segment: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(segment):
        char = segment[index]
        close = segment.find("]", index + 2) if char == "[" else -1
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif close != -1:
            body = segment[index + 1 : close]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
            index = close
        else:
            out.append(re.escape(char))
        index += 1
    return "".join(out)


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """Docker's .dockerignore matching: anchored at the context root, `*` and `?` inside one
    path segment, `**` across segments; a match on a directory covers everything in it."""
    parts: list[str] = []
    segments = pattern.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "**":
            parts.append(".*" if last else "(?:[^/]+/)*")
        else:
            parts.append(_segment_regex(segment) + ("" if last else "/"))
    return re.compile("".join(parts) + "(?:/.*)?", re.DOTALL)


def _clean_pattern(line: str) -> str:
    pattern = os.path.normpath(line.strip().lstrip("/")).replace(os.sep, "/")
    return "" if pattern == "." else pattern


class IgnoreRules:
    """The default excludes (always in force) plus the project's own .dockerignore."""

    def __init__(self, project_dir: Path) -> None:
        self.patterns: list[IgnorePattern] = []
        dockerignore = project_dir / ".dockerignore"
        if dockerignore.is_file():
            for line in dockerignore.read_text(encoding="utf-8", errors="replace").splitlines():
                text = line.strip()
                if not text or text.startswith("#"):
                    continue
                negated = text.startswith("!")
                pattern = _clean_pattern(text[1:] if negated else text)
                if pattern:
                    self.patterns.append(IgnorePattern(_pattern_regex(pattern), negated))
        self.has_negations = any(pattern.negated for pattern in self.patterns)

    @staticmethod
    def by_default(rel: str, path: Path, is_dir: bool) -> bool:
        parts = rel.split("/")
        name = parts[-1]
        if is_dir:
            return (
                name in IGNORED_DIRS
                or (len(parts) == 1 and name in IGNORED_TOP_DIRS)
                or (path / "pyvenv.cfg").is_file()
            )
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in IGNORED_FILES)

    def by_dockerignore(self, rel: str) -> bool:
        ignored = False
        for pattern in self.patterns:
            if pattern.regex.fullmatch(rel):
                ignored = not pattern.negated
        return ignored

    def prunes(self, rel: str, path: Path) -> bool:
        """Whether a directory is left out with all of its content."""
        if self.by_default(rel, path, is_dir=True):
            return True
        # A negation may take back a file below an ignored directory: then look inside.
        return not self.has_negations and self.by_dockerignore(rel)

    def ignores_file(self, rel: str, path: Path) -> bool:
        return self.by_default(rel, path, is_dir=False) or self.by_dockerignore(rel)


# --------------------------------------------------------------------------- project files


@dataclass(frozen=True)
class Entry:
    """A file or a symbolic link of the project, as copied into the build context."""

    rel: str
    path: Path
    mode: int = 0o644
    link: str | None = None


def normal_mode(path: Path) -> int:
    return 0o755 if path.stat().st_mode & 0o111 else 0o644


def _link_entry(root: Path, path: Path, rel: str) -> Entry:
    try:
        target = path.resolve()
    except (OSError, RuntimeError):  # a loop of links
        raise ProjectError(f"{path}: symbolic link to {os.readlink(path)} loops") from None
    if not target.is_relative_to(root) or not target.exists():
        where = "outside the project" if not target.is_relative_to(root) else "nowhere"
        raise ProjectError(f"{path}: symbolic link to {os.readlink(path)} points {where}")
    return Entry(rel, path, link=os.path.relpath(target, path.parent.resolve()))


def project_entries(project_dir: Path, rules: IgnoreRules) -> list[Entry]:
    """Every file and link of the project the image gets, sorted by relative path."""
    root = project_dir.resolve()
    entries: list[Entry] = []
    for current, dirs, files in os.walk(root):
        here = Path(current)
        base = here.relative_to(root).as_posix()
        prefix = "" if base == "." else base + "/"
        kept: list[str] = []
        for name in sorted(dirs):
            path, rel = here / name, prefix + name
            if rules.prunes(rel, path):
                continue
            if path.is_symlink():
                if not rules.by_dockerignore(rel):
                    entries.append(_link_entry(root, path, rel))
            else:
                kept.append(name)
        dirs[:] = kept
        for name in files:
            path, rel = here / name, prefix + name
            if rules.ignores_file(rel, path):
                continue
            if path.is_symlink():
                entries.append(_link_entry(root, path, rel))
            elif path.is_file():
                entries.append(Entry(rel, path, normal_mode(path)))
    return sorted(entries, key=lambda entry: entry.rel)


def _tree_entries(path: Path, label: str) -> Iterator[Entry]:
    """Files of a bundle path (a file, or a directory without caches), sorted."""
    if path.is_file():
        yield Entry(label, path, normal_mode(path))
        return
    if not path.is_dir():
        raise ProjectError(f"{path}: no such file or directory")
    found: list[Entry] = []
    for current, dirs, files in os.walk(path):
        dirs[:] = [name for name in dirs if name not in IGNORED_DIRS]
        for name in files:
            file = Path(current) / name
            if not name.endswith(".pyc"):
                rel = file.relative_to(path).as_posix()
                found.append(Entry(f"{label}/{rel}", file, normal_mode(file)))
    yield from sorted(found, key=lambda entry: entry.rel)


def _hash_entry(digest: Any, entry: Entry) -> None:
    if entry.link is not None:
        digest.update(f"link\0{entry.rel}\0{entry.link}\0".encode())
        return
    digest.update(f"file\0{entry.rel}\0{entry.mode:o}\0{entry.path.stat().st_size}\0".encode())
    with entry.path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)


def project_digest(entries: list[Entry], extra_paths: Iterable[str], extra: str) -> str:
    digest = hashlib.sha256()
    for entry in entries:
        _hash_entry(digest, entry)
    for index, extra_path in enumerate(extra_paths):
        path = _absolute(extra_path, "extra_paths")
        for entry in _tree_entries(path, f"extra{index}:{path.name}"):
            _hash_entry(digest, entry)
    digest.update(f"extra\0{extra}".encode())
    return digest.hexdigest()


# --------------------------------------------------------------------------- manage.py, settings


def find_manage_py(project_dir: Path, override: str | None) -> str:
    if override:
        path = project_dir / override
        if not path.resolve().is_relative_to(project_dir) or not path.is_file():
            raise ProjectError(f"django_app_manage_py: {path} is not a file in the project")
        return Path(os.path.normpath(override)).as_posix()
    if (project_dir / "manage.py").is_file():
        return "manage.py"
    found = sorted(
        f"{child.name}/manage.py" for child in project_dir.iterdir()
        if child.is_dir() and child.name not in NOT_SEARCHED and not child.name.startswith(".")
        and (child / "manage.py").is_file()
    )
    if not found:
        raise ProjectError(
            f"no manage.py in {project_dir} (looked at {project_dir}/manage.py and "
            f"{project_dir}/*/manage.py); set django_app_manage_py"
        )
    if len(found) > 1:
        names = ", ".join(str(project_dir / name) for name in found)
        raise ProjectError(f"{len(found)} manage.py files found: {names}; set django_app_manage_py")
    return found[0]


def parse_python(path: Path, rel: str) -> ast.Module:
    source = path.read_text(encoding="utf-8", errors="replace")
    try:
        return ast.parse(source, filename=rel)
    except SyntaxError as err:
        raise ProjectError(f"{path}:{err.lineno}: {err.msg}") from None


def _constant(node: ast.expr) -> object:
    return node.value if isinstance(node, ast.Constant) else None


def _settings_assignment(node: ast.AST) -> object:
    """The value of `os.environ.setdefault("DJANGO_SETTINGS_MODULE", value)` or of
    `os.environ["DJANGO_SETTINGS_MODULE"] = value`, when node is one of them."""
    if (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and node.func.attr == "setdefault" and len(node.args) == 2
        and _constant(node.args[0]) == "DJANGO_SETTINGS_MODULE"
    ):
        return _constant(node.args[1])
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
        key = _constant(target.slice) if isinstance(target, ast.Subscript) else None
        if key == "DJANGO_SETTINGS_MODULE":
            return _constant(node.value)
    return None


def settings_from_manage_py(path: Path, rel: str) -> str:
    """The settings module manage.py gives DJANGO_SETTINGS_MODULE."""
    for node in ast.walk(parse_python(path, rel)):
        value = _settings_assignment(node)
        if isinstance(value, str):
            return value
    raise ProjectError(
        f"{path}: no os.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", ...) found; "
        "set django_app_settings_module"
    )


def module_file(base: Path, module: str) -> Path | None:
    parts = module.split(".")
    for candidate in (base.joinpath(*parts[:-1], parts[-1] + ".py"),
                      base.joinpath(*parts, "__init__.py")):
        if candidate.is_file():
            return candidate
    return None


def python_path_candidates(project_dir: Path, django_root: str) -> list[str]:
    candidates = [django_root, (Path(django_root) / "src").as_posix(), "src"]
    unique = [
        Path(os.path.normpath(rel)).as_posix() for rel in dict.fromkeys(candidates)
    ]
    return [rel for rel in dict.fromkeys(unique) if (project_dir / rel).is_dir()]


@dataclass
class Settings:
    module: str
    file: str
    python_path: list[str]


def locate_settings(project_dir: Path, django_root: str, module: str) -> Settings:
    if not re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*", module):
        raise ProjectError(f"settings module {module!r} is not a dotted module name")
    candidates = python_path_candidates(project_dir, django_root)
    for base in candidates:
        found = module_file(project_dir / base, module)
        if found is not None:
            python_path = [django_root] if base == django_root else [django_root, base]
            return Settings(module, found.relative_to(project_dir).as_posix(), python_path)
    looked = ", ".join(str(project_dir / base) for base in candidates)
    raise ProjectError(
        f"settings module {module} not found: no {module.replace('.', '/')}.py or "
        f"{module.replace('.', '/')}/__init__.py under {looked}; set django_app_settings_module"
    )


def check_compiles(path: Path, rel: str) -> None:
    source = path.read_text(encoding="utf-8", errors="replace")
    try:
        compile(source, rel, "exec")
    except SyntaxError as err:
        raise ProjectError(f"{path}:{err.lineno}: {err.msg}") from None


def _star_import_target(node: ast.ImportFrom, module: str, is_package: bool) -> str | None:
    if not any(alias.name == "*" for alias in node.names):
        return None
    if node.level == 0:
        return node.module
    package = module.split(".") if is_package else module.split(".")[:-1]
    if node.level > 1:
        package = package[: -(node.level - 1)]
    return ".".join([*package, *([node.module] if node.module else [])])


def find_wsgi_application(
    project_dir: Path, python_path: list[str], module: str, seen: set[str] | None = None
) -> str | None:
    """WSGI_APPLICATION as the module sets it, following `from x import *` in source order.
    A module this Python cannot parse (newer syntax) counts as not setting it."""
    seen = set() if seen is None else seen
    if module in seen:
        return None
    seen.add(module)
    path = next(
        (found for base in python_path if (found := module_file(project_dir / base, module))),
        None,
    )
    if path is None:
        return None
    value: str | None = None
    try:
        tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
    except SyntaxError:
        return None
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            target = _star_import_target(node, module, path.name == "__init__.py")
            inherited = target and find_wsgi_application(project_dir, python_path, target, seen)
            value = inherited or value
        elif (
            isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
            and any(isinstance(t, ast.Name) and t.id == "WSGI_APPLICATION" for t in node.targets)
        ):
            value = node.value.value
    return value


# --------------------------------------------------------------------------- requirements


@dataclass(frozen=True)
class Pin:
    """A requirement of the project and where it is written."""

    requirement: Requirement
    where: str
    constraint: bool = False

    @property
    def name(self) -> str:
        return canonicalize_name(self.requirement.name)


@dataclass
class Requirements:
    format: str
    file: str
    files: list[str] = field(default_factory=list)
    pins: list[Pin] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return sorted({pin.name for pin in self.pins if not pin.constraint})


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Lines of a requirements file with comments removed and continuations joined."""
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        joined = (pending + line).strip()
        pending = ""
        if joined:
            yield start, joined


INCLUDE_OPTION = re.compile(r"^(?P<opt>--requirement|--constraint|-r|-c)\s*=?\s*(?P<file>\S+)$")
EDITABLE_OPTION = re.compile(r"^(-e|--editable)(\s|=|$)")


def _is_local_or_url(text: str) -> bool:
    head = text.split(";")[0].strip()
    return (
        head.startswith((".", "/", "~", "file:"))
        or "://" in head
        or re.match(r"^[\w.-]+(\[[^\]]*\])?\s*@", head) is not None
        or "/" in head or "\\" in head
        or head.endswith((".whl", ".zip", ".tar.gz", ".tgz"))
    )


def _parse_requirement(text: str, where: str) -> Requirement:
    if _is_local_or_url(text):
        raise ProjectError(f"{where}: {text}: {LOCAL_PATH_HINT}")
    try:
        requirement = Requirement(text)
    except InvalidRequirement as err:
        raise ProjectError(f"{where}: invalid requirement {text!r}: {err}") from None
    if requirement.url:
        raise ProjectError(f"{where}: {text}: {LOCAL_PATH_HINT}")
    return requirement


def read_requirements_txt(
    project_dir: Path, rel: str, found: Requirements, constraint: bool = False
) -> None:
    if rel in found.files:
        return
    path = (project_dir / rel).resolve()
    if not path.is_relative_to(project_dir):
        raise ProjectError(f"{project_dir / rel}: requirements file outside the project")
    if not path.is_file():
        raise ProjectError(f"{project_dir / rel}: requirements file not found")
    found.files.append(rel)
    for number, line in _logical_lines(path.read_text(encoding="utf-8", errors="replace")):
        where = f"{path}:{number}"
        include = INCLUDE_OPTION.match(line)
        if include:
            nested = Path(os.path.normpath(Path(rel).parent / include["file"])).as_posix()
            read_requirements_txt(
                project_dir, nested, found, constraint or include["opt"] in ("-c", "--constraint")
            )
        elif EDITABLE_OPTION.match(line):
            raise ProjectError(f"{where}: {line}: {LOCAL_PATH_HINT}")
        elif not line.startswith("-"):
            text = re.split(r"\s+--hash", line)[0].strip()
            found.pins.append(Pin(_parse_requirement(text, where), where, constraint))


def read_pyproject(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ProjectError(f"{path}: invalid TOML: {err}") from None


def pyproject_dependencies(path: Path) -> list[str] | None:
    """[project].dependencies of a pyproject.toml; None when it declares none."""
    project = read_pyproject(path).get("project", {})
    dependencies = project.get("dependencies") if isinstance(project, dict) else None
    if dependencies is None:
        return None
    if not isinstance(dependencies, list) or not all(isinstance(d, str) for d in dependencies):
        raise ProjectError(f"{path}: [project].dependencies must be a list of strings")
    return dependencies


def read_pyproject_requirements(project_dir: Path, rel: str) -> Requirements:
    path = project_dir / rel
    if not path.is_file():
        raise ProjectError(f"{path}: requirements file not found")
    dependencies = pyproject_dependencies(path)
    if dependencies is None:
        has_poetry = "poetry" in read_pyproject(path).get("tool", {})
        what = "[tool.poetry] dependencies" if has_poetry else "no [project].dependencies"
        raise ProjectError(f"{path}: {what}; {EXPORT_HINT}")
    found = Requirements("pyproject.toml", rel, [rel])
    for index, text in enumerate(dependencies):
        where = f"{path}: [project].dependencies[{index}]"
        found.pins.append(Pin(_parse_requirement(text, where), where))
    return found


def find_requirements(project_dir: Path, django_root: str, override: str | None) -> Requirements:
    if override:
        rel = Path(os.path.normpath(override)).as_posix()
        if Path(rel).name == "pyproject.toml":
            return read_pyproject_requirements(project_dir, rel)
        found = Requirements("requirements.txt", rel)
        read_requirements_txt(project_dir, rel, found)
        return found
    roots = list(dict.fromkeys([".", django_root]))
    for root in roots:
        rel = Path(os.path.normpath(Path(root) / "requirements.txt")).as_posix()
        if (project_dir / rel).is_file():
            found = Requirements("requirements.txt", rel)
            read_requirements_txt(project_dir, rel, found)
            return found
    for root in roots:
        rel = Path(os.path.normpath(Path(root) / "pyproject.toml")).as_posix()
        if (project_dir / rel).is_file():
            return read_pyproject_requirements(project_dir, rel)
    for root in roots:
        for name in ("Pipfile", "poetry.lock", "uv.lock"):
            if (project_dir / root / name).is_file():
                raise ProjectError(f"{project_dir / root / name}: not supported; {EXPORT_HINT}")
    raise ProjectError(
        f"no requirements in {project_dir} (looked for requirements.txt and pyproject.toml); "
        f"supported: {SUPPORTED_FORMATS}; set django_app_requirements"
    )


def django_pin(project_dir: Path, requirements: Requirements) -> Pin:
    for pin in requirements.pins:
        if pin.name == "django" and not pin.constraint:
            return pin
    raise ProjectError(
        f"{project_dir / requirements.file}: Django is not among the project's requirements"
    )


@dataclass(frozen=True)
class BundlePin:
    name: str
    version: str
    accepts: SpecifierSet | None
    accepts_text: str = ""


def read_bundle_requirements(path: Path) -> dict[str, BundlePin]:
    if not path.is_file():
        raise ProjectError(f"{path}: bundle requirements file not found")
    pins: dict[str, BundlePin] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = raw.split("#", 1)[0].strip()
        if not text:
            continue
        where = f"{path}:{number}"
        requirement = _parse_requirement(text, where)
        exact = [spec.version for spec in requirement.specifier if spec.operator == "=="]
        needs = NEEDS_COMMENT.search(raw)
        accepts_text = needs["spec"].replace(" ", "") if needs else ""
        try:
            accepts = SpecifierSet(accepts_text) if needs else None
        except InvalidSpecifier:
            raise ProjectError(f"{where}: invalid range in the needs comment") from None
        name = canonicalize_name(requirement.name)
        pins[name] = BundlePin(
            requirement.name, exact[0] if exact else "", accepts, accepts_text
        )
    return pins


def check_bundle_conflicts(requirements: Requirements, bundle: dict[str, BundlePin]) -> None:
    for pin in requirements.pins:
        wanted = bundle.get(pin.name)
        if wanted is None or wanted.accepts is None:
            continue
        for spec in pin.requirement.specifier:
            if spec.operator in ("==", "===") and "*" not in spec.version:
                try:
                    fits = Version(spec.version) in wanted.accepts
                except InvalidVersion:
                    fits = False
                if not fits:
                    raise ProjectError(
                        f"the project pins {pin.requirement.name}{spec} ({pin.where}); "
                        f"the bundle needs {wanted.name}{wanted.accepts_text}"
                    )


# --------------------------------------------------------------------------- Python and base


def _django_series_allowed(specifier: SpecifierSet) -> list[tuple[int, int]]:
    newest = max(DJANGO_PYTHON)
    series = [*DJANGO_PYTHON, (newest[0], newest[1] + 1), (newest[0] + 1, 0)]
    return [
        (major, minor) for major, minor in series
        if any(
            specifier.contains(f"{major}.{minor}.{patch}", prereleases=True)
            or specifier.contains(f"{major}.{minor}", prereleases=True)
            for patch in range(50)
        )
    ]


def python_for_django(pin: Pin) -> str:
    """The lowest Python any Django release the project allows runs on, as a specifier."""
    allowed = _django_series_allowed(pin.requirement.specifier)
    if not allowed:
        raise ProjectError(
            f"the project requires {pin.requirement} ({pin.where}); Django 4.2 or later is "
            "required"
        )
    newest_known = DJANGO_PYTHON[max(DJANGO_PYTHON)]
    lowest = min(
        (DJANGO_PYTHON.get(series, newest_known) for series in allowed),
        key=lambda version: Version(version),
    )
    return f">={lowest}"


def python_requirement(
    project_dir: Path, django_root: str, override: str | None, django: Pin
) -> tuple[str, str]:
    if override:
        return override, "django_app_python_requirement"
    for root in dict.fromkeys([".", django_root]):
        path = project_dir / root / "pyproject.toml"
        if path.is_file():
            project = read_pyproject(path).get("project", {})
            requires = project.get("requires-python") if isinstance(project, dict) else None
            if isinstance(requires, str) and requires.strip():
                return requires.strip(), "pyproject.toml requires-python"
    if not django.requirement.specifier:
        return "", "none"
    return python_for_django(django), "Django pin"


def choose_base(specifier: str, source: str, bases: list[dict[str, str]]) -> dict[str, str]:
    try:
        wanted = SpecifierSet(specifier)
    except InvalidSpecifier:
        raise ProjectError(f"invalid Python requirement {specifier!r} ({source})") from None
    for base in bases:
        if wanted.contains(str(base["python"]), prereleases=True):
            return base
    available = ", ".join(f"{base['python']} ({base['image']})" for base in bases)
    raise ProjectError(
        f"the project needs Python {specifier} ({source}); the available bases have "
        f"{available}; add a base to django_app_build_bases"
    )


# --------------------------------------------------------------------------- revision


Runner = Callable[[list[str]], tuple[int, str, str]]


def git_revision(project_dir: Path, git: str | None, run: Runner) -> str:
    """The last commit touching the project when its files are all committed, else ""."""
    if not git:
        return ""
    where = [git, "-C", str(project_dir)]
    rc, out, _ = run([*where, "rev-parse", "--is-inside-work-tree"])
    if rc != 0 or out.strip() != "true":
        return ""
    rc, out, _ = run([*where, "status", "--porcelain", "--untracked-files=all", "--", "."])
    if rc != 0 or out.strip():
        return ""
    rc, out, _ = run([*where, "log", "-1", "--format=%H", "--", "."])
    return out.strip()[:12] if rc == 0 else ""


# --------------------------------------------------------------------------- discovery


def _absolute(value: str, what: str) -> Path:
    path = Path(value)
    if not path.is_absolute():
        raise ProjectError(f"{what} must be an absolute path, got {value}")
    return path


def _absolute_dir(value: str) -> Path:
    path = _absolute(value, "project_dir")
    if not path.is_dir():
        raise ProjectError(f"{value}: no such project directory")
    return path.resolve()


def check_in_image(project_dir: Path, entries: list[Entry], needed: list[str]) -> None:
    copied = {entry.rel for entry in entries}
    for rel in needed:
        if rel not in copied:
            raise ProjectError(
                f"{project_dir / rel} is left out of the image by the ignore rules "
                "(.dockerignore or the defaults)"
            )


def discover(params: dict[str, Any], git: str | None, run: Runner) -> dict[str, Any]:
    """Everything the image needs to know about the project (the info module's result)."""
    if PACKAGING_MISSING:
        raise ProjectError(PACKAGING_HINT)
    project_dir = _absolute_dir(params["project_dir"])
    if not params.get("bases"):
        raise ProjectError("bases must list at least one base image")
    manage_py = find_manage_py(project_dir, params.get("manage_py"))
    django_root = Path(manage_py).parent.as_posix()
    module = params.get("settings_module") or settings_from_manage_py(
        project_dir / manage_py, manage_py
    )
    settings = locate_settings(project_dir, django_root, module)
    requirements = find_requirements(project_dir, django_root, params.get("requirements"))
    django = django_pin(project_dir, requirements)
    if params.get("bundle_requirements"):
        bundle = read_bundle_requirements(Path(params["bundle_requirements"]))
        check_bundle_conflicts(requirements, bundle)
    specifier, source = python_requirement(
        project_dir, django_root, params.get("python_requirement"), django
    )
    base = choose_base(specifier, source, params["bases"])
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    # Syntax newer than the controller's Python is judged by the image build instead.
    if Version(running) >= Version(str(base["python"])):
        check_compiles(project_dir / settings.file, settings.file)
    wsgi = params.get("wsgi_application") or find_wsgi_application(
        project_dir, settings.python_path, module
    )
    entries = project_entries(project_dir, IgnoreRules(project_dir))
    check_in_image(project_dir, entries, [manage_py, settings.file])
    found_requirements = {
        "format": requirements.format,
        "file": requirements.file,
        "files": requirements.files,
        "names": requirements.names,
    }
    return {
        "project_dir": str(project_dir),
        "manage_py": manage_py,
        "django_root": django_root,
        "python_path": settings.python_path,
        "settings_module": module,
        "settings_file": settings.file,
        "wsgi_application": wsgi,
        "requirements": found_requirements,
        "build_args": image_build_args(
            base["image"], django_root, settings.python_path, module, found_requirements
        ),
        "python_requirement": specifier,
        "python_requirement_source": source,
        "base_image": base["image"],
        "python_version": str(base["python"]),
        "digest": project_digest(
            entries, params.get("extra_paths") or [], params.get("extra_digest") or ""
        ),
        "revision": git_revision(project_dir, git, run),
        "files_count": len(entries),
    }


# --------------------------------------------------------------------------- build context


@dataclass(frozen=True)
class Wanted:
    """One file of the build context: copied from a source file, a link, or given bytes."""

    mode: int = 0o644
    source: Path | None = None
    content: bytes | None = None
    link: str | None = None

    def same_as(self, path: Path) -> bool:
        if self.link is not None:
            return path.is_symlink() and os.readlink(path) == self.link
        if path.is_symlink() or not path.is_file():
            return False
        if stat.S_IMODE(path.stat().st_mode) != self.mode:
            return False
        data = self.content if self.content is not None else self.source.read_bytes()  # type: ignore[union-attr]
        return path.stat().st_size == len(data) and path.read_bytes() == data


def _safe_rel(value: str, what: str) -> str:
    rel = Path(os.path.normpath(value)).as_posix()
    if rel.startswith(("../", "/")) or rel in ("..", "."):
        raise ProjectError(f"{what}: {value} must be a relative path inside the build context")
    return rel


def context_plan(params: dict[str, Any]) -> dict[str, Wanted]:
    project_dir = _absolute_dir(params["project_dir"])
    wanted: dict[str, Wanted] = {CONTEXT_MARKER: Wanted(content=b"")}
    for entry in project_entries(project_dir, IgnoreRules(project_dir)):
        wanted[f"project/{entry.rel}"] = (
            Wanted(link=entry.link) if entry.link is not None
            else Wanted(entry.mode, source=entry.path)
        )
    requirements = params["requirements"]
    if requirements["format"] == "pyproject.toml":
        dependencies = pyproject_dependencies(project_dir / requirements["file"]) or []
        text = "".join(f"{line}\n" for line in dependencies)
        wanted["requirements/requirements.txt"] = Wanted(content=text.encode())
    else:
        for rel in requirements.get("files") or [requirements["file"]]:
            source = project_dir / _safe_rel(rel, "requirements")
            if not source.resolve().is_relative_to(project_dir) or not source.is_file():
                raise ProjectError(f"{source}: requirements file not found in the project")
            wanted[f"requirements/{_safe_rel(rel, 'requirements')}"] = Wanted(
                normal_mode(source), source=source
            )
    for item in params.get("bundle_files") or []:
        label = _safe_rel(item["dest"], "bundle_files dest")
        for entry in _tree_entries(_absolute(item["src"], "bundle_files src"), label):
            wanted[entry.rel] = Wanted(entry.mode, source=entry.path)
    return wanted


# Where docker/Dockerfile puts the project in the image.
IMAGE_PROJECT_DIR = PurePosixPath("/app")


def _in_image(rel: str) -> str:
    return str(IMAGE_PROJECT_DIR / rel)


def image_build_args(
    base_image: str,
    django_root: str,
    python_path: list[str],
    settings_module: str,
    requirements: dict[str, Any],
) -> dict[str, str]:
    """The build arguments of docker/Dockerfile that describe the project."""
    return {
        "BASE_IMAGE": base_image,
        "DJANGO_ROOT": _in_image(django_root),
        "PYTHON_PATH": ":".join(_in_image(path) for path in python_path),
        "PROJECT_SETTINGS": settings_module,
        "REQUIREMENTS_FILE": requirements_in_context(requirements),
    }


def requirements_in_context(requirements: dict[str, Any]) -> str:
    if requirements["format"] == "pyproject.toml":
        return "requirements/requirements.txt"
    return f"requirements/{_safe_rel(requirements['file'], 'requirements')}"


def _check_dest(dest: Path, project_dir: Path) -> None:
    if dest.is_relative_to(project_dir) or project_dir.is_relative_to(dest):
        raise ProjectError(
            f"dest {dest} overlaps the project directory {project_dir}; the build context "
            "must be written elsewhere"
        )
    if dest.is_dir() and any(dest.iterdir()) and not (dest / CONTEXT_MARKER).is_file():
        raise ProjectError(
            f"dest {dest} is not empty and holds no build context (no {CONTEXT_MARKER}); "
            "refusing to replace its content"
        )


def _existing(dest: Path) -> dict[str, Path]:
    """Files and links under dest (directories are implied by them)."""
    found: dict[str, Path] = {}
    for current, dirs, files in os.walk(dest):
        here = Path(current)
        for name in [*files, *(d for d in dirs if (here / d).is_symlink())]:
            found[(here / name).relative_to(dest).as_posix()] = here / name
    return found


def _write(path: Path, wanted: Wanted) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
    if path.is_dir() and not path.is_symlink():
        _remove_tree(path)
    if wanted.link is not None:
        temp = path.parent / f".{path.name}.tmp-{os.getpid()}"
        temp.unlink(missing_ok=True)
        os.symlink(wanted.link, temp)
        os.replace(temp, path)
        return
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            if wanted.content is not None:
                handle.write(wanted.content)
            else:
                with wanted.source.open("rb") as source:  # type: ignore[union-attr]
                    for block in iter(lambda: source.read(1 << 20), b""):
                        handle.write(block)
        os.chmod(temp_name, wanted.mode)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def _remove_tree(path: Path) -> None:
    for current, dirs, files in os.walk(path, topdown=False):
        for name in files:
            (Path(current) / name).unlink()
        for name in dirs:
            child = Path(current) / name
            child.unlink() if child.is_symlink() else child.rmdir()
    path.rmdir()


def _stale_dirs(dest: Path, wanted: dict[str, Wanted]) -> list[str]:
    """Directories under dest that hold nothing wanted, deepest first."""
    parents = {Path(rel).parent.as_posix() for rel in wanted}
    needed = {parent for rel in parents for parent in [rel, *map(str, Path(rel).parents)]}
    found: list[str] = []
    for current, dirs, _ in os.walk(dest, topdown=False):
        for name in dirs:
            rel = (Path(current) / name).relative_to(dest).as_posix()
            if rel not in needed and not (Path(current) / name).is_symlink():
                found.append(rel)
    return found


def build_context(params: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    """Make dest an exact copy of the context the image is built from."""
    if PACKAGING_MISSING:
        raise ProjectError(PACKAGING_HINT)
    project_dir = _absolute_dir(params["project_dir"])
    dest = _absolute(params["dest"], "dest")
    _check_dest(dest.resolve(), project_dir)
    wanted = context_plan(params)
    existing = _existing(dest) if dest.is_dir() else {}
    stale = sorted(set(existing) - set(wanted))
    changed_files = sorted(rel for rel, item in wanted.items() if not item.same_as(dest / rel))
    stale_dirs = _stale_dirs(dest, wanted) if dest.is_dir() else []
    if not check_mode:
        for rel in stale:
            (dest / rel).unlink()
        for rel in stale_dirs:
            _remove_tree(dest / rel)
        for rel in changed_files:
            _write(dest / rel, wanted[rel])
    return {
        "changed": bool(stale or changed_files or stale_dirs),
        "dest": str(dest),
        "requirements_file": requirements_in_context(params["requirements"]),
        "files_count": len(wanted),
        "written": changed_files,
        "removed": stale,
    }
