"""Request-body checks, shaped like Sentry's serializer errors: {"field": ["message"]}."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

REQUIRED = "This field is required."
NULL = "This field may not be null."
BLANK = "This field may not be blank."
INTERVALS = ("1m", "5m", "15m", "1h", "1d", "1w", "30d")
MATCH_OPERATORS = ("eq", "ne", "sw", "ew", "co", "nc", "is", "ns")
FALLTHROUGH_TYPES = ("ActiveMembers", "AllMembers", "NoOne")


class Invalid(Exception):
    """A 400 answer: `errors` is the body."""

    def __init__(self, errors: dict[str, Any]) -> None:
        super().__init__(errors)
        self.errors = errors


def snake(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


def camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part.title() for part in rest)


def snake_keys(data: dict[str, Any]) -> dict[str, Any]:
    """Sentry's CamelSnakeSerializer takes both `detectorIds` and `detector_ids`."""
    return {snake(k): v for k, v in data.items()}


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def as_int(value: Any) -> int | None:
    """DRF IntegerField accepts ints and digit strings."""
    if is_int(value):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    return None


def expect_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise Invalid({"non_field_errors": ["Invalid data. Expected a dictionary."]})
    return body


def check_string(
    data: dict[str, Any], name: str, errors: dict[str, Any], *, required: bool = False,
    nullable: bool = False, max_length: int | None = None, label: str | None = None,
) -> str | None:
    label = label or name
    if name not in data:
        if required:
            errors[label] = [REQUIRED]
        return None
    value = data[name]
    if value is None:
        if not nullable:
            errors[label] = [NULL]
        return None
    if not isinstance(value, str):
        errors[label] = ["Not a valid string."]
        return None
    if required and not value.strip():
        errors[label] = [BLANK]
    elif max_length is not None and len(value) > max_length:
        errors[label] = [f"Ensure this field has no more than {max_length} characters."]
    return value


def check_choice(value: Any, choices: tuple[Any, ...] | set[Any]) -> str | None:
    if value not in choices:
        return f'"{value}" is not a valid choice.'
    return None


def check_datetime(data: dict[str, Any], name: str, errors: dict[str, Any]) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    try:
        if not isinstance(value, str):
            raise ValueError
        datetime.fromisoformat(value)
    except ValueError:
        errors[name] = [
            "Datetime has wrong format. Use one of these formats instead: "
            "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
        ]
        return None
    return value


def check_url(data: dict[str, Any], name: str, errors: dict[str, Any]) -> str | None:
    value = check_string(data, name, errors, nullable=True, max_length=200)
    if value:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            errors[name] = ["Enter a valid URL."]
    return value


def check_owner(state: Any, value: Any, errors: dict[str, Any]) -> None:
    if value is None:
        return
    kind, _, ident = value.partition(":") if isinstance(value, str) else ("", "", "")
    if kind == "user" and ident in state.user_ids():
        return
    if kind == "team" and state.team(ident) and state.team(ident)["id"] == ident:
        return
    if kind in ("user", "team"):
        errors["owner"] = [f"{kind.title()} is not a member of this organization"]
    else:
        errors["owner"] = ["Could not parse actor. Format should be `type:id` where type is "
                           "`team` or `user`."]


# client keys -----------------------------------------------------------------------
def check_rate_limit(value: Any, errors: dict[str, Any]) -> dict[str, Any] | None:
    """The schema types rateLimit as an object, not nullable: null is refused (Sentry's prose
    says null removes the limit; {"window": null, "count": null} does in both)."""
    if value is None:
        errors["rateLimit"] = ["This field may not be null."]
        return None
    if not isinstance(value, dict):
        errors["rateLimit"] = ["Invalid data. Expected a dictionary."]
        return None
    result: dict[str, Any] = {}
    for name, upper in (("count", None), ("window", 86400)):
        item = value.get(name)
        if item is None:
            result[name] = None
            continue
        number = as_int(item)
        if number is None or number < 0 or (upper is not None and number > upper):
            bound = f" and {upper}" if upper else ""
            errors["rateLimit"] = {name: [f"Ensure this value is between 0{bound}."]}
            return None
        result[name] = number
    # Sentry answers rateLimit null for a key without a limit.
    return None if result == {"count": None, "window": None} else result


def validate_key_create(body: Any) -> dict[str, Any]:
    data, errors = expect_object(body), {}
    name = check_string(data, "name", errors, nullable=True, max_length=64)
    rate_limit = check_rate_limit(data["rateLimit"], errors) if "rateLimit" in data else None
    use_case = data.get("useCase", "user")
    problem = check_choice(use_case, ("user", "profiling", "tempest", "demo"))
    if problem:
        errors["useCase"] = [problem]
    if errors:
        raise Invalid(errors)
    return {"name": name, "rateLimit": rate_limit, "useCase": use_case}


def validate_key_update(body: Any) -> dict[str, Any]:
    data, errors, changes = expect_object(body), {}, {}
    if "name" in data:
        changes["name"] = check_string(data, "name", errors, max_length=64)
    if "isActive" in data:
        if not isinstance(data["isActive"], bool):
            errors["isActive"] = ["Must be a valid boolean."]
        changes["isActive"] = data["isActive"]
    if "rateLimit" in data:
        changes["rateLimit"] = check_rate_limit(data["rateLimit"], errors)
    if "browserSdkVersion" in data:
        problem = check_choice(data["browserSdkVersion"], ("latest", "7.x"))
        if problem:
            errors["browserSdkVersion"] = [problem]
        changes["browserSdkVersion"] = data["browserSdkVersion"]
    if "dynamicSdkLoaderOptions" in data:
        options = data["dynamicSdkLoaderOptions"]
        known = ("hasReplay", "hasPerformance", "hasDebug", "hasFeedback", "hasLogsAndMetrics")
        if not isinstance(options, dict) or not all(
            k in known and isinstance(v, bool) for k, v in options.items()
        ):
            errors["dynamicSdkLoaderOptions"] = [f"Expected booleans for {', '.join(known)}."]
        else:
            changes["dynamicSdkLoaderOptions"] = options
    if errors:
        raise Invalid(errors)
    return changes


# releases and deploys ------------------------------------------------------------
def check_version(data: dict[str, Any], errors: dict[str, Any]) -> str | None:
    version = check_string(data, "version", errors, required=True, max_length=200)
    if version and "version" not in errors and (
        version.strip() != version or version in (".", "..", "latest")
        or any(c in version for c in "/\n\r\t\f\v\\")
    ):
        errors["version"] = [f"Release with name {version} is not allowed"]
    return version


def check_object_list(
    data: dict[str, Any], name: str, required_fields: tuple[str, ...], errors: dict[str, Any]
) -> list[dict[str, Any]]:
    items = data.get(name) or []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        errors[name] = ["Expected a list of objects."]
        return []
    for item in items:
        missing = [f for f in required_fields if not item.get(f)]
        if missing:
            errors[name] = [{f: [REQUIRED] for f in missing}]
    return items


def validate_release(state: Any, body: Any) -> dict[str, Any]:
    data, errors = expect_object(body), {}
    version = check_version(data, errors)
    projects = data.get("projects")
    project_ids: list[str] = []
    if not isinstance(projects, list) or not projects:
        errors["projects"] = [REQUIRED if projects is None else "This list may not be empty."]
    else:
        found = [state.project_by_slug(p) for p in projects]
        if not all(found):
            errors["projects"] = ["Invalid project ids or slugs"]
        project_ids = [p["id"] for p in found if p]
    ref = check_string(data, "ref", errors, nullable=True, max_length=200)
    url = check_url(data, "url", errors)
    date_released = check_datetime(data, "dateReleased", errors)
    status = data.get("status", "open")
    if check_choice(status, ("open", "archived")):
        errors["status"] = [check_choice(status, ("open", "archived"))]
    commits = check_object_list(data, "commits", ("id",), errors)
    check_object_list(data, "refs", ("commit", "repository"), errors)
    owner = check_string(data, "owner", errors, nullable=True)
    if errors:
        raise Invalid(errors)
    return {
        "version": version, "projects": project_ids, "ref": ref, "url": url,
        "dateReleased": date_released, "status": status, "commits": commits, "owner": owner,
    }


def validate_release_update(body: Any) -> dict[str, Any]:
    data, errors = expect_object(body), {}
    changes: dict[str, Any] = {}
    if "ref" in data:
        changes["ref"] = check_string(data, "ref", errors, nullable=True, max_length=200)
    if "url" in data:
        changes["url"] = check_url(data, "url", errors)
    if "dateReleased" in data:
        changes["dateReleased"] = check_datetime(data, "dateReleased", errors)
    if "commits" in data:
        changes["commits"] = check_object_list(data, "commits", ("id",), errors)
    check_object_list(data, "refs", ("commit", "repository"), errors)
    if errors:
        raise Invalid(errors)
    return changes


def validate_deploy(state: Any, release: dict[str, Any], body: Any) -> dict[str, Any]:
    data, errors = expect_object(body), {}
    env = check_string(data, "environment", errors, required=True, max_length=64)
    if env and "environment" not in errors and any(c in env for c in "/\n\r\t\f\v"):
        errors["environment"] = ["Invalid value for environment"]
    name = check_string(data, "name", errors, nullable=True, max_length=64)
    url = check_url(data, "url", errors)
    started = check_datetime(data, "dateStarted", errors)
    finished = check_datetime(data, "dateFinished", errors)
    projects = data.get("projects")
    if projects is not None:
        found = [state.project_by_slug(p) for p in projects] \
            if isinstance(projects, list) else [None]
        if not all(p and p["id"] in release["projects"] for p in found):
            errors["projects"] = ["Invalid projects"]
    if errors:
        raise Invalid(errors)
    return {"environment": env, "name": name, "url": url, "dateStarted": started,
            "dateFinished": finished}
