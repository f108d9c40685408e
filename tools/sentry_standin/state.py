"""In-memory state of the stand-in: seed loading and the JSON shapes Sentry answers with."""

from __future__ import annotations

import copy
import json
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULT_SEED = Path(__file__).with_name("default_seed.json")
MODES = ("current", "legacy")
# APIs that `without` takes away, as on an older Sentry.
OPTIONAL_APIS = ("events", "issues", "sessions")
# What --state-file does not keep: the request log, pending faults, and what is set at start-up.
NOT_PERSISTED = frozenset({"seed", "lock", "public_url", "started_without", "requests", "faults"})
SEED_LISTS = ("teams", "members", "projects", "detectors", "keys")
SEED_FIELDS = {
    "teams": {"id", "slug", "name"},
    "members": {"id", "email", "user"},
    "projects": {"id", "slug", "name"},
    "detectors": {"id", "project", "type", "name"},
    "keys": {"project"},
}
AVATAR = {"avatarType": "letter_avatar", "avatarUuid": None, "avatarUrl": None}
MEMBER_FLAGS = {
    "idp:provisioned": False,
    "idp:role-restricted": False,
    "sso:linked": False,
    "sso:invalid": False,
    "member-limit:restricted": False,
    "partnership:restricted": False,
}
PROJECT_FEATURES = ["alert-filters", "minidump", "rate-limits", "releases", "servicehooks"]
DEFAULT_LOADER_OPTIONS = {
    "hasReplay": True,
    "hasPerformance": True,
    "hasDebug": False,
    "hasFeedback": False,
    "hasLogsAndMetrics": False,
}


class SeedError(ValueError):
    """The seed file is missing something the stand-in needs."""


def check_without(names: Any) -> list[str]:
    if not isinstance(names, list) or not all(n in OPTIONAL_APIS for n in names):
        raise ValueError(f"without must be a list among {', '.join(OPTIONAL_APIS)}")
    return sorted(set(names))


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def load_seed(path: str | Path | None = None) -> dict[str, Any]:
    """Read and check a seed file (the built-in one when path is None)."""
    source = Path(path) if path else DEFAULT_SEED
    try:
        seed = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SeedError(f"cannot read seed {source}: {exc}") from exc
    check_seed(seed)
    return seed


def check_seed(seed: Any) -> None:
    if not isinstance(seed, dict):
        raise SeedError("seed must be a JSON object")
    org = seed.get("organization")
    if not isinstance(org, dict) or not {"id", "slug"} <= org.keys():
        raise SeedError("seed.organization needs id and slug")
    for name in SEED_LISTS:
        if not isinstance(seed.get(name), list):
            raise SeedError(f"seed.{name} must be a list")
    for name, fields in SEED_FIELDS.items():
        for item in seed[name]:
            if not isinstance(item, dict) or not fields <= item.keys():
                raise SeedError(f"each of seed.{name} needs {', '.join(sorted(fields))}")
    for member in seed["members"]:
        user = member.get("user")
        if user is not None and (not isinstance(user, dict) or not {"id", "email"} <= user.keys()):
            raise SeedError("a member's user is null (pending invite) or has id and email")
    envs = seed.get("environments", [])
    if not isinstance(envs, list) or not all(isinstance(e, str) and e for e in envs):
        raise SeedError("seed.environments must be a list of names")
    tokens = seed.get("tokens")
    if not isinstance(tokens, dict) or not all(
        isinstance(scopes, list) and all(isinstance(s, str) for s in scopes)
        for scopes in tokens.values()
    ):
        raise SeedError("seed.tokens must map token -> list of scopes")
    slugs = {p.get("slug") for p in seed["projects"]}
    for item in seed["detectors"] + seed["keys"]:
        if item.get("project") not in slugs:
            raise SeedError(f"unknown project {item.get('project')!r} in seed")
    team_slugs = {t.get("slug") for t in seed["teams"]}
    for holder in seed["projects"] + seed["members"]:
        unknown = set(holder.get("teams", [])) - team_slugs
        if unknown:
            raise SeedError(f"unknown teams {sorted(unknown)} in seed")


@dataclass
class State:
    """Everything the stand-in knows. Callers hold `lock` around reads and writes."""

    seed: dict[str, Any]
    mode: str
    public_url: str
    started_without: list[str] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        self.reset(self.mode)

    def reset(self, mode: str | None = None, without: list[str] | None = None) -> None:
        """Back to the seed; `without` defaults to what the server was started with."""
        absent = check_without(self.started_without if without is None else without)
        with self.lock:
            if mode is not None:
                if mode not in MODES:
                    raise ValueError(f"mode must be one of {MODES}")
                self.mode = mode
            self.without: list[str] = absent
            seed = copy.deepcopy(self.seed)
            self.org: dict[str, Any] = {"name": seed["organization"]["slug"].title()}
            self.org.update(seed["organization"])
            self.org.setdefault("dateCreated", now_iso())
            self.teams: list[dict[str, Any]] = seed["teams"]
            self.members: list[dict[str, Any]] = seed["members"]
            self.projects: list[dict[str, Any]] = seed["projects"]
            self.tokens: dict[str, list[str]] = seed["tokens"]
            self.environments: list[str] = list(seed.get("environments", []))
            for item in self.teams + self.members + self.projects:
                item.setdefault("dateCreated", now_iso())
                item.setdefault("teams", [])
            by_slug = {p["slug"]: p["id"] for p in self.projects}
            self.detectors: list[dict[str, Any]] = []
            for det in seed["detectors"]:
                det["project"] = by_slug[det["project"]]
                det.setdefault("dateCreated", now_iso())
                self.detectors.append(det)
            self.keys: list[dict[str, Any]] = []
            for key in seed["keys"]:
                self.keys.append(new_key(by_slug[key["project"]], key))
            self.workflows: list[dict[str, Any]] = []
            self.rules: list[dict[str, Any]] = []
            self.releases: list[dict[str, Any]] = []
            self.requests: list[dict[str, Any]] = []
            self.events: list[dict[str, Any]] = []
            # public key ("" when none or several) -> accepted/refused events and envelopes
            self.ingest_counts: dict[str, dict[str, int]] = {}
            self.faults: list[dict[str, Any]] = []
            self._next_id = 10000

    def persisted(self) -> dict[str, Any]:
        """The part of the state that --state-file keeps."""
        return {name: value for name, value in vars(self).items() if name not in NOT_PERSISTED}

    def save(self, path: Path) -> None:
        """Write the persisted part of the state to path (atomically, readable by owner only)."""
        with self.lock:
            data = json.dumps(self.persisted())
        partial = path.with_name(path.name + ".partial")
        partial.touch(mode=0o600)
        partial.write_text(data, encoding="utf-8")
        partial.replace(path)

    def load(self, path: Path) -> None:
        """Replace the state with what save() wrote to path."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise SeedError(f"cannot read state file {path}: {exc}") from exc
        with self.lock:
            names = self.persisted().keys()
            if isinstance(data, dict):
                data.setdefault("without", [])  # state files written before the switch existed
            missing = sorted(names - data.keys()) if isinstance(data, dict) else sorted(names)
            if missing or data["mode"] not in MODES:
                raise SeedError(f"state file {path} lacks {', '.join(missing) or 'a valid mode'}")
            for name in names:
                setattr(self, name, data[name])

    def add_environment(self, name: Any) -> None:
        """Sentry creates an environment when an event or a deploy first names it."""
        if isinstance(name, str) and name and name not in self.environments:
            self.environments.append(name)

    def next_id(self) -> str:
        with self.lock:
            self._next_id += 1
            return str(self._next_id)

    # lookups -------------------------------------------------------------------------
    def org_matches(self, ident: str) -> bool:
        return ident in (self.org["slug"], self.org["id"])

    def project(self, ident: str) -> dict[str, Any] | None:
        return next((p for p in self.projects if ident in (p["slug"], p["id"])), None)

    def project_by_slug(self, slug: Any) -> dict[str, Any] | None:
        return next((p for p in self.projects if p["slug"] == slug), None)

    def team(self, ident: str) -> dict[str, Any] | None:
        return next((t for t in self.teams if ident in (t["slug"], t["id"])), None)

    def team_members(self, slug: str) -> list[dict[str, Any]]:
        return [m for m in self.members if slug in m["teams"]]

    def project_members(self, project: dict[str, Any]) -> list[dict[str, Any]]:
        """Active members of any team attached to the project (pending invites excluded)."""
        return [
            m for m in self.members
            if m["user"] is not None and set(m["teams"]) & set(project["teams"])
        ]

    def user_ids(self) -> set[str]:
        return {m["user"]["id"] for m in self.members if m["user"] is not None}

    def key(self, project_id: str, key_id: str) -> dict[str, Any] | None:
        return next(
            (k for k in self.keys if k["project"] == project_id and k["public"] == key_id), None
        )

    def key_by_public(self, public: str) -> dict[str, Any] | None:
        return next((k for k in self.keys if k["public"] == public), None)

    def release(self, version: str) -> dict[str, Any] | None:
        return next((r for r in self.releases if r["version"] == version), None)

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "mode": self.mode,
                "without": list(self.without),
                "environments": list(self.environments),
                "workflows": copy.deepcopy(self.workflows),
                "rules": [rule_json(self, r) for r in self.rules],
                "keys": [key_json(self, k) for k in self.keys],
                "releases": [release_json(self, r) for r in self.releases],
                "deploys": {r["version"]: copy.deepcopy(r["deploys"]) for r in self.releases},
                "detectors": [detector_json(self, d) for d in self.detectors],
            }


def new_key(project_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "public": fields.get("public") or uuid.uuid4().hex,
        "secret": fields.get("secret") or uuid.uuid4().hex,
        "project": project_id,
        "name": fields.get("name") or "Default",
        "isActive": fields.get("isActive", True),
        "rateLimit": fields.get("rateLimit"),
        "useCase": fields.get("useCase", "user"),
        "browserSdkVersion": fields.get("browserSdkVersion", "latest"),
        "dynamicSdkLoaderOptions": dict(DEFAULT_LOADER_OPTIONS),
        "dateCreated": fields.get("dateCreated") or now_iso(),
    }


# serializers ---------------------------------------------------------------------------
def org_json(state: State) -> dict[str, Any]:
    org = state.org
    return {
        "id": org["id"],
        "slug": org["slug"],
        "name": org["name"],
        "status": {"id": "active", "name": "active"},
        "dateCreated": org["dateCreated"],
        "isEarlyAdopter": False,
        "require2FA": False,
        "avatar": {"avatarType": "letter_avatar", "avatarUuid": None},
        "links": {"organizationUrl": state.public_url, "regionUrl": state.public_url},
        "hasAuthProvider": False,
        "allowMemberInvite": True,
        "allowMemberProjectCreation": True,
        "allowSuperuserAccess": False,
        "features": [],
    }


def team_ref(team: dict[str, Any]) -> dict[str, Any]:
    return {"id": team["id"], "slug": team["slug"], "name": team["name"]}


def team_json(state: State, team: dict[str, Any], detailed: bool = False) -> dict[str, Any]:
    body = {
        "id": team["id"],
        "slug": team["slug"],
        "name": team["name"],
        "dateCreated": team["dateCreated"],
        "isMember": False,
        "teamRole": None,
        "flags": {"idp:provisioned": False},
        "access": ["alerts:read", "event:read", "member:read", "org:read", "project:read",
                   "project:releases", "team:read"],
        "hasAccess": True,
        "isPending": False,
        "memberCount": len(state.team_members(team["slug"])),
        "avatar": dict(AVATAR),
    }
    if detailed:
        body["externalTeams"] = []
        body["projects"] = [
            project_summary(state, p) for p in state.projects if team["slug"] in p["teams"]
        ]
    return body


def user_json(user: dict[str, Any], joined: str) -> dict[str, Any]:
    return {
        "id": user["id"],
        "name": user.get("name") or user["email"],
        "username": user.get("username") or user["email"],
        "email": user["email"],
        "avatarUrl": None,
        "isActive": True,
        "isSuspended": False,
        "hasPasswordAuth": True,
        "isManaged": False,
        "dateJoined": joined,
        "lastLogin": joined,
        "has2fa": False,
        "lastActive": joined,
        "isSuperuser": False,
        "isStaff": False,
        "experiments": {},
        "emails": [{"id": user["id"], "email": user["email"], "is_verified": True}],
        "avatar": {"avatarType": "letter_avatar", "avatarUuid": None},
        "canReset2fa": True,
    }


def member_json(member: dict[str, Any]) -> dict[str, Any]:
    user = member["user"]
    pending = user is None
    return {
        "id": member["id"],
        "email": member["email"],
        "name": member.get("name") or member["email"],
        "user": None if pending else user_json(user, member["dateCreated"]),
        "orgRole": member.get("orgRole", "member"),
        "role": member.get("orgRole", "member"),
        "roleName": member.get("orgRole", "member").title(),
        "pending": pending,
        "expired": False,
        "flags": dict(MEMBER_FLAGS),
        "dateCreated": member["dateCreated"],
        "inviteStatus": "pending" if pending else "approved",
        "inviterName": None,
        "externalUsers": [],
    }


def team_member_json(member: dict[str, Any], team: dict[str, Any]) -> dict[str, Any]:
    body = member_json(member)
    body.update(teamRole="contributor", teamSlug=team["slug"])
    return body


_PROJECT_FLAGS = [
    "hasFeedbacks", "hasFlags", "hasMinifiedStackTrace", "hasMonitors", "hasNewFeedbacks",
    "hasProfiles", "hasReplays", "hasSessions", "hasInsightsHttp", "hasInsightsDb",
    "hasInsightsAssets", "hasInsightsAppStart", "hasInsightsScreenLoad", "hasInsightsVitals",
    "hasInsightsCaches", "hasInsightsQueues", "hasInsightsAgentMonitoring", "hasInsightsMCP",
    "hasLogs", "hasTraceMetrics", "hasUserReports",
]


def project_summary(state: State, project: dict[str, Any]) -> dict[str, Any]:
    teams = [team_ref(t) for t in state.teams if t["slug"] in project["teams"]]
    body: dict[str, Any] = {
        "id": project["id"],
        "slug": project["slug"],
        "name": project["name"],
        "platform": project.get("platform"),
        "platforms": [project["platform"]] if project.get("platform") else [],
        "dateCreated": project["dateCreated"],
        "isBookmarked": False,
        "isMember": True,
        "features": list(PROJECT_FEATURES),
        "firstEvent": None,
        "firstTransactionEvent": False,
        "access": [],
        "hasAccess": True,
        "team": teams[0] if teams else None,
        "teams": teams,
        "environments": [],
        "latestRelease": None,
        "latestDeploys": None,
    }
    body.update(dict.fromkeys(_PROJECT_FLAGS, False))
    return body


def project_json(state: State, project: dict[str, Any]) -> dict[str, Any]:
    body = project_summary(state, project)
    token = uuid.uuid5(uuid.NAMESPACE_URL, project["id"]).hex
    body.update(
        isInternal=False, isPublic=False, color="#3f70bf", status="active", options={},
        digestsMinDelay=180, digestsMaxDelay=600,
        subjectPrefix="", allowedDomains=["*"], resolveAge=0, dataScrubber=False,
        dataScrubberDefaults=False, safeFields=[], storeCrashReports=None, sensitiveFields=[],
        subjectTemplate="$shortID - $title", securityToken=token, securityTokenHeader=None,
        verifySSL=False, scrubIPAddresses=False, scrapeJavaScript=True,
        enableAutoReleaseCreation=True, highlightTags=[], highlightContext={},
        highlightPreset={"tags": [], "context": {}}, groupingConfig="newstyle:2023-01-11",
        derivedGroupingEnhancements="", groupingEnhancements="", secondaryGroupingExpiry=0,
        secondaryGroupingConfig=None, fingerprintingRules="", organization=org_json(state),
        processingIssues=0, defaultEnvironment=None, relayPiiConfig=None,
        builtinSymbolSources=[], dynamicSamplingBiases=None, symbolSources="[]",
        isDynamicallySampled=False, tempestFetchScreenshots=False, autofixAutomationTuning="off",
        seerScannerAutomation=False, seerNightshiftTweaks=None, scmSourceContextEnabled=False,
        debugFilesRole=None, avatar={"avatarType": "letter_avatar", "avatarUuid": None},
    )
    return body


def detector_json(state: State, det: dict[str, Any]) -> dict[str, Any]:
    workflow_ids = [w["id"] for w in state.workflows if det["id"] in w["detectorIds"]]
    return {
        "id": det["id"],
        "projectId": det["project"],
        "name": det["name"],
        "description": None,
        "type": det["type"],
        "workflowIds": workflow_ids,
        "owner": None,
        "createdBy": None,
        "dateCreated": det["dateCreated"],
        "dateUpdated": det["dateCreated"],
        "dataSources": None,
        "conditionGroup": None,
        "config": {},
        "enabled": True,
        "latestGroup": None,
    }


def dsn_json(public_url: str, key: dict[str, Any]) -> dict[str, str]:
    parts = urlsplit(public_url)
    origin = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
    pid, pub = key["project"], key["public"]
    api = f"{origin}/api/{pid}"
    return {
        "public": f"{parts.scheme}://{pub}@{parts.netloc}{parts.path.rstrip('/')}/{pid}",
        "secret": f"{parts.scheme}://{pub}:{key['secret']}@{parts.netloc}"
        f"{parts.path.rstrip('/')}/{pid}",
        "csp": f"{api}/csp-report/?sentry_key={pub}",
        "security": f"{api}/security/?sentry_key={pub}",
        "minidump": f"{api}/minidump/?sentry_key={pub}",
        "nel": f"{api}/nel/?sentry_key={pub}",
        "unreal": f"{api}/unreal/{pub}/",
        "crons": f"{api}/crons/___MONITOR_SLUG___/{pub}/",
        "cdn": f"https://js.sentry-cdn.com/{pub}.min.js",
        "playstation": f"{api}/playstation/?sentry_key={pub}",
        "integration": f"{api}/integration/",
        "otlp_traces": f"{api}/integration/otlp/v1/traces",
        "otlp_logs": f"{api}/integration/otlp/v1/logs",
    }


def key_json(state: State, key: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": key["public"],
        "name": key["name"],
        "label": key["name"],
        "public": key["public"],
        "secret": key["secret"],
        "projectId": int(key["project"]),
        "isActive": key["isActive"],
        "rateLimit": copy.deepcopy(key["rateLimit"]),
        "dsn": dsn_json(state.public_url, key),
        "browserSdkVersion": key["browserSdkVersion"],
        "browserSdk": {"choices": [["latest", "latest"], ["7.x", "7.x"]]},
        "dateCreated": key["dateCreated"],
        "dynamicSdkLoaderOptions": dict(key["dynamicSdkLoaderOptions"]),
        "useCase": key["useCase"],
    }


def rule_json(state: State, rule: dict[str, Any]) -> dict[str, Any]:
    body = {k: copy.deepcopy(v) for k, v in rule.items() if k != "project"}
    project = state.project(rule["project"])
    body["projects"] = [project["slug"]] if project else []
    return body


def version_info(version: str) -> dict[str, Any]:
    package, _, raw = version.rpartition("@")
    raw = raw or version
    info: dict[str, Any] = {"raw": raw}
    numbers = raw.split("+")[0].split("-")[0].split(".")
    if len(numbers) == 3 and all(n.isdigit() for n in numbers):
        info.update(major=int(numbers[0]), minor=int(numbers[1]), patch=int(numbers[2]),
                    pre=None, buildCode=None, components=3)
    return {"package": package or None, "version": info, "description": raw, "buildHash": None}


def release_json(state: State, rel: dict[str, Any]) -> dict[str, Any]:
    projects = [state.project(pid) for pid in rel["projects"]]
    last = max(rel["deploys"], key=lambda d: d["dateFinished"], default=None)
    return {
        "id": rel["id"],
        "version": rel["version"],
        "shortVersion": rel["version"],
        "status": rel["status"],
        "versionInfo": version_info(rel["version"]),
        "ref": rel["ref"],
        "url": rel["url"],
        "dateReleased": rel["dateReleased"],
        "dateCreated": rel["dateCreated"],
        "dateStarted": None,
        "data": {},
        "newGroups": 0,
        "owner": rel["owner"],
        "commitCount": len(rel["commits"]),
        "lastCommit": copy.deepcopy(rel["commits"][-1]) if rel["commits"] else None,
        "deployCount": len(rel["deploys"]),
        "lastDeploy": copy.deepcopy(last),
        "authors": [],
        "projects": [
            {"id": int(p["id"]), "slug": p["slug"], "name": p["name"], "newGroups": 0,
             "platform": p.get("platform"), "platforms": [p["platform"]] if p.get("platform")
             else [], "hasHealthData": False}
            for p in projects if p
        ],
        "firstEvent": None,
        "lastEvent": None,
        "currentProjectMeta": {},
        "userAgent": None,
    }
