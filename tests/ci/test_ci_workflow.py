"""The example CI (.github/workflows/ci.yml and its setup action) is valid for GitHub Actions:
checked against the workflow and action schemas check-jsonschema ships, plus the links the
schemas cannot see (job needs, the local action, one Molecule job per scenario)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github/workflows/ci.yml"
ACTION = ROOT / ".github/actions/setup/action.yml"
CHECK = Path(sys.executable).parent / "check-jsonschema"
REQUIRED_SCENARIOS = {"docker_engine", "sentry_alerts", "sentry_alerts_legacy", "django_app",
                      "default", "rotate_dsn"}


def schema_check(schema: str, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CHECK), "--builtin-schema", schema, str(path)],
                          capture_output=True, text=True, check=False)


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(("schema", "path"), [
    ("vendor.github-workflows", WORKFLOW),
    ("vendor.github-actions", ACTION),
])
def test_matches_the_github_schema(schema, path):
    result = schema_check(schema, path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_catches_a_broken_workflow(tmp_path):
    broken = load(WORKFLOW)
    del broken["jobs"]["lint"]["runs-on"]
    broken["jobs"]["pytest"]["timeout-minutes"] = "half an hour"
    path = tmp_path / "ci.yml"
    path.write_text(yaml.safe_dump(broken))
    assert schema_check("vendor.github-workflows", path).returncode != 0


def test_jobs_need_existing_jobs_and_use_the_local_action():
    jobs = load(WORKFLOW)["jobs"]
    for name, job in jobs.items():
        needs = job.get("needs", [])
        assert set([needs] if isinstance(needs, str) else needs) <= set(jobs) - {name}
        local = [s["uses"] for s in job["steps"] if s.get("uses", "").startswith("./")]
        assert local == ["./.github/actions/setup"], name


def test_one_molecule_job_per_scenario():
    matrix = load(WORKFLOW)["jobs"]["molecule"]["strategy"]["matrix"]["scenario"]
    present = {p.parent.name for p in (ROOT / "molecule").glob("*/molecule.yml")}
    assert len(matrix) == len(set(matrix))
    assert present, "no Molecule scenario found"
    assert present | REQUIRED_SCENARIOS == set(matrix)
