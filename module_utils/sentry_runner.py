"""The one runner of every sentry_* module: argument spec, token, slugs, client, errors.

A module gives its own options and a ``work(module, client)`` function that returns the
result; the runner builds the AnsibleModule, refuses bad slugs before the first request,
builds the client (which enforces the token and the deadline), and maps the errors of the
client and of the input to one ``fail_json`` line each. Every message is scrubbed of the
token in all its forms, and a run that failed after some writes says which ones it made.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.sentry_api import (
    AppliedPartly,
    InputError,
    SentryAPIError,
    SentryClient,
    check_slug,
    client_argument_spec,
    client_from_params,
    scrub,
)

Work = Callable[[AnsibleModule, SentryClient], dict[str, Any]]


def argument_spec(options: dict[str, Any]) -> dict[str, Any]:
    """The shared API options plus the module's own."""
    spec = client_argument_spec()
    spec.update(options)
    return spec


def run_module(
    options: dict[str, Any],
    work: Work,
    slugs: Iterable[str] = (),
    before: Callable[[AnsibleModule], None] | None = None,
    **module_kwargs: Any,
) -> None:
    """Run a module: ``slugs`` names the options that go into URLs, ``before`` checks
    input that needs no request. Every module supports check mode."""
    module = AnsibleModule(
        argument_spec=argument_spec(options), supports_check_mode=True, **module_kwargs
    )
    secrets = [module.params["api_token"] or ""]
    try:
        for option in ("org", *slugs):
            if module.params.get(option) is not None:
                check_slug(module.params[option], option)
        if before is not None:
            before(module)
        client = client_from_params(module.params)
        for warning in client.warnings:
            module.warn(warning)
        result = work(module, client)
    except InputError as err:
        module.fail_json(msg=scrub(str(err), secrets))
    except SentryAPIError as err:
        module.fail_json(msg=scrub(str(err), secrets), status=err.status)
    except AppliedPartly as err:
        module.fail_json(
            msg=scrub(str(err.error), secrets), status=err.error.status, **err.result
        )
    except Exception as err:  # a traceback could carry the token
        module.fail_json(msg=scrub(f"unexpected {type(err).__name__}: {err}", secrets))
    module.exit_json(**result)
