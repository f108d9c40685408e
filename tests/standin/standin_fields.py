"""Required response fields, copied from Sentry's published OpenAPI schema (current release, and
the last release that documented legacy issue-alert rules), plus small request helpers."""

from __future__ import annotations

from typing import Any

import requests

ORGANIZATION = {
    "allowMemberInvite", "allowMemberProjectCreation", "allowSuperuserAccess", "avatar",
    "dateCreated", "hasAuthProvider", "id", "isEarlyAdopter", "links", "name", "require2FA",
    "slug", "status",
}
PROJECT_IN_LIST = {
    "access", "dateCreated", "environments", "features", "firstEvent", "firstTransactionEvent",
    "hasAccess", "hasFeedbacks", "hasFlags", "hasInsightsAgentMonitoring", "hasInsightsAppStart",
    "hasInsightsAssets", "hasInsightsCaches", "hasInsightsDb", "hasInsightsHttp",
    "hasInsightsMCP", "hasInsightsQueues", "hasInsightsScreenLoad", "hasInsightsVitals",
    "hasLogs", "hasMinifiedStackTrace", "hasMonitors", "hasNewFeedbacks", "hasProfiles",
    "hasReplays", "hasSessions", "hasTraceMetrics", "hasUserReports", "id", "isBookmarked",
    "isMember", "latestRelease", "name", "platform", "platforms", "slug", "team", "teams",
}
PROJECT_DETAIL = (PROJECT_IN_LIST - {"environments", "hasUserReports", "team"}) | {
    "allowedDomains", "autofixAutomationTuning", "avatar", "builtinSymbolSources", "color",
    "dataScrubber", "dataScrubberDefaults", "debugFilesRole", "defaultEnvironment",
    "derivedGroupingEnhancements", "digestsMaxDelay", "digestsMinDelay", "dynamicSamplingBiases",
    "enableAutoReleaseCreation", "fingerprintingRules", "groupingConfig", "groupingEnhancements",
    "highlightContext", "highlightPreset", "highlightTags", "isDynamicallySampled", "isInternal",
    "isPublic", "options", "organization", "processingIssues", "relayPiiConfig", "resolveAge",
    "safeFields", "scmSourceContextEnabled", "scrapeJavaScript", "scrubIPAddresses",
    "secondaryGroupingConfig", "secondaryGroupingExpiry", "securityToken", "securityTokenHeader",
    "seerNightshiftTweaks", "seerScannerAutomation", "sensitiveFields", "status",
    "storeCrashReports", "subjectPrefix", "subjectTemplate", "symbolSources",
    "tempestFetchScreenshots", "verifySSL",
}
TEAM = {
    "access", "avatar", "dateCreated", "flags", "hasAccess", "id", "isMember", "isPending",
    "memberCount", "name", "slug", "teamRole",
}
MEMBER = {
    "dateCreated", "email", "expired", "flags", "id", "inviteStatus", "inviterName", "name",
    "orgRole", "pending", "user",
}
TEAM_MEMBER = MEMBER | {"teamRole", "teamSlug"}
DETECTOR = {
    "conditionGroup", "config", "dataSources", "dateCreated", "dateUpdated", "enabled", "id",
    "name", "projectId", "type", "workflowIds",
}
WORKFLOW = {
    "actionFilters", "config", "createdBy", "dateCreated", "dateUpdated", "detectorIds",
    "enabled", "environment", "id", "lastTriggered", "name", "organizationId", "owner",
    "triggers",
}
RULE = {
    "actionMatch", "actions", "conditions", "dateCreated", "filterMatch", "filters", "frequency",
    "id", "name", "projects", "snooze", "status",
}
KEY = {
    "browserSdk", "browserSdkVersion", "dateCreated", "dsn", "dynamicSdkLoaderOptions", "id",
    "isActive", "label", "name", "projectId", "public", "rateLimit", "secret",
}
DSN = {
    "public", "secret", "csp", "security", "minidump", "nel", "unreal", "crons", "cdn",
    "playstation", "integration", "otlp_traces", "otlp_logs",
}
RELEASE = {
    "authors", "commitCount", "data", "deployCount", "id", "newGroups", "projects",
    "shortVersion", "status", "version", "versionInfo",
}
ISSUE = {
    "annotations", "assignedTo", "count", "culprit", "derivedData", "filtered", "firstSeen",
    "hasSeen", "id", "inbox", "integrationIssues", "isBookmarked", "isPublic", "isSubscribed",
    "isUnhandled", "issueCategory", "issueType", "lastSeen", "latestEventHasAttachments", "level",
    "lifetime", "logger", "matchingEventEnvironment", "matchingEventId", "metadata",
    "numComments", "owners", "permalink", "platform", "priority", "priorityLockedAt", "project",
    "seerAutofixLastTriggered", "seerExplorerAutofixLastTriggered", "seerFixabilityScore",
    "sentryAppIssues", "sessionCount", "shareId", "shortId", "stats", "status", "statusDetails",
    "subscriptionDetails", "substatus", "title", "type", "userCount",
}
SESSIONS = {"end", "groups", "intervals", "query", "start"}
DEPLOY = {"dateFinished", "dateStarted", "environment", "id", "name", "url"}
RATE_LIMIT_HEADERS = (
    "X-Sentry-Rate-Limit-Limit", "X-Sentry-Rate-Limit-Remaining", "X-Sentry-Rate-Limit-Reset",
    "X-Sentry-Rate-Limit-ConcurrentLimit", "X-Sentry-Rate-Limit-ConcurrentRemaining",
)
NOT_FOUND = {"detail": "The requested resource does not exist"}
FORBIDDEN = {"detail": "You do not have permission to perform this action."}

FULL = "sntrys_test_full"
READONLY = "sntrys_test_readonly"
NOALERTS = "sntrys_test_noalerts"
WEB_KEY = "0a1b2c3d4e5f40718293a4b5c6d74501"
API_KEY = "1b2c3d4e5f60718293a4b5c6d7e84502"


def call(
    standin: Any, method: str, path: str, token: str | None = FULL, **kwargs: Any
) -> requests.Response:
    """One API request; `path` is relative to /api/0/."""
    headers = kwargs.pop("headers", {})
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    kwargs.setdefault("timeout", 10)
    return requests.request(method, f"{standin.api_url}/{path.lstrip('/')}", headers=headers,
                            **kwargs)


def missing(required: set[str], body: dict[str, Any]) -> set[str]:
    return required - body.keys()


def email_workflow(name: str = "Errors to Alice", **extra: Any) -> dict[str, Any]:
    """A valid workflow body: new issue or regression in web -> email user 9001."""
    body = {
        "name": name,
        "enabled": True,
        "detectorIds": [5001],
        "config": {"frequency": 30},
        "environment": "production",
        "triggers": {"logicType": "any-short", "conditions": [
            {"type": "first_seen_event", "comparison": True, "conditionResult": True},
            {"type": "regression_event", "comparison": True, "conditionResult": True},
        ]},
        "actionFilters": [{
            "logicType": "all",
            "conditions": [{"type": "event_frequency_count",
                            "comparison": {"value": 10, "interval": "1h"},
                            "conditionResult": True}],
            "actions": [{"type": "email", "integrationId": None, "data": {},
                         "config": {"targetType": "user", "targetDisplay": None,
                                    "targetIdentifier": "9001"},
                         "status": "active"}],
        }],
    }
    body.update(extra)
    return body


def email_rule(name: str = "Errors to Alice", **extra: Any) -> dict[str, Any]:
    """A valid legacy rule body for project web: new issue -> email user 9001."""
    body = {
        "name": name,
        "frequency": 30,
        "actionMatch": "any",
        "filterMatch": "all",
        "environment": "production",
        "conditions": [{"id": "sentry.rules.conditions.first_seen_event.FirstSeenEventCondition"}],
        "filters": [],
        "actions": [{"id": "sentry.mail.actions.NotifyEmailAction", "targetType": "Member",
                     "targetIdentifier": 9001}],
    }
    body.update(extra)
    return body
