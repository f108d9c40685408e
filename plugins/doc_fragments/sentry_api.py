"""Documentation of the options every sentry_* module takes to reach the Sentry API."""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  api_url:
    description:
      - Base URL of Sentry; C(/api/0) is appended.
      - The token is sent only to this origin. Redirects are followed for reads within the
        origin only. An C(http://) URL to a host other than localhost gives a warning.
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
      - How many times a call is retried after a 429, a 5xx or a lost connection, with backoff.
      - Only reads, updates and deletes are repeated as they are. A create is repeated
        after a 429; after another failure it is first looked for, and repeated only if it is
        not there.
      - A 429 waits for C(Retry-After) or C(X-Sentry-Rate-Limit-Reset), capped at 30 seconds.
    type: int
    default: 3
  api_deadline:
    description: Seconds the whole module run may spend on the API, retries and waits included.
    type: float
    default: 300
  validate_certs:
    description: Verify the server's TLS certificate.
    type: bool
    default: true
  org:
    description: Organization slug (lowercase letters, digits, C(-) and C(_)).
    type: str
    required: true
"""
