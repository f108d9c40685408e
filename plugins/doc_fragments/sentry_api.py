"""Documentation of the options every sentry_* module takes to reach the Sentry API."""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  api_url:
    description: Base URL of Sentry; C(/api/0) is appended.
    type: str
    default: https://sentry.io
  api_token:
    description: Sentry auth token, sent as a Bearer token. Never logged.
    type: str
    required: true
  api_timeout:
    description: Seconds to wait for one HTTP answer.
    type: float
    default: 30
  api_retries:
    description:
      - How many times a rate-limited (429) or failed (5xx) call is retried, with backoff.
      - A 429 waits for C(Retry-After) or C(X-Sentry-Rate-Limit-Reset), capped at 30 seconds.
    type: int
    default: 3
  validate_certs:
    description: Verify the server's TLS certificate.
    type: bool
    default: true
  org:
    description: Organization slug.
    type: str
    required: true
"""
