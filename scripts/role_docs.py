#!/usr/bin/env python3
"""Write each role's variable table into its README from meta/argument_specs.yml.

The table sits between `<!-- BEGIN VARIABLES -->` and `<!-- END VARIABLES -->`; READMEs
without these markers are left alone. `--check` changes nothing and exits 1 when a README
is out of date (the tests run it).
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROLES = Path(__file__).resolve().parent.parent / "roles"
BEGIN, END = "<!-- BEGIN VARIABLES -->", "<!-- END VARIABLES -->"


def cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def default_text(spec: dict) -> str:
    if spec.get("required"):
        return "**required**"
    if "default" not in spec:
        return ""
    value = spec["default"]
    if isinstance(value, str):
        return f"`{value}`" if value else '`""`'
    return f"`{yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()}`".replace(
        "\n...", ""
    )


def table(role: Path) -> str:
    specs = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())
    options = specs["argument_specs"]["main"]["options"]
    rows = ["| Variable | Default | Description |", "|---|---|---|"]
    for name, spec in options.items():
        description = spec.get("description", "")
        if isinstance(description, list):
            description = " ".join(description)
        if spec.get("choices"):
            description += " One of: " + ", ".join(f"`{c}`" for c in spec["choices"]) + "."
        rows.append(f"| `{name}` | {cell(default_text(spec))} | {cell(description)} |")
    return "\n".join(rows)


def render(readme: str, role: Path) -> str:
    head, _, rest = readme.partition(BEGIN)
    _, _, tail = rest.partition(END)
    note = "<!-- Generated from meta/argument_specs.yml by scripts/role_docs.py: edit the spec. -->"
    return f"{head}{BEGIN}\n{note}\n{table(role)}\n{END}{tail}"


def main() -> int:
    check = "--check" in sys.argv[1:]
    stale = []
    for role in sorted(p for p in ROLES.iterdir() if (p / "meta" / "argument_specs.yml").is_file()):
        readme_file = role / "README.md"
        if not readme_file.is_file() or BEGIN not in readme_file.read_text():
            continue
        current = readme_file.read_text()
        wanted = render(current, role)
        if current != wanted:
            stale.append(str(readme_file.relative_to(ROLES.parent)))
            if not check:
                readme_file.write_text(wanted)
    if check and stale:
        print("out of date (run scripts/role_docs.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
