"""What the SDK may collect: the current form of `send_default_pii=False`.

The SDK deprecates that flag in favour of `data_collection`: no user identity, no IP,
cookies/headers/query strings with sensitive keys replaced by "[Filtered]" (SDK denylist
plus the forwarding headers that carry client IPs), no request bodies, no SQL parameters,
and local variables filtered by the same denylist (plus request objects).
"""

from __future__ import annotations

from typing import Any

_PII_TERMS = ["forwarded", "-ip", "remote-", "via", "-user"]

DATA_COLLECTION: dict[str, Any] = {
    "user_info": False,
    "cookies": {"mode": "denylist", "terms": _PII_TERMS},
    "http_headers": {"request": {"mode": "denylist", "terms": _PII_TERMS}},
    "http_bodies": [],
    "url_query_params": {"mode": "denylist", "terms": _PII_TERMS},
    "graphql": {"document": False, "variables": False},
    "gen_ai": {"inputs": False, "outputs": False},
    "database_query_data": False,
    "queues": False,
    # A request's repr carries its full URL, query string (and any token in it) included.
    "stack_frame_variables": {"mode": "denylist", "terms": ["request"]},
}
