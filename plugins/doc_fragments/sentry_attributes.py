"""The attributes every sentry_* module shares."""


class ModuleDocFragment:
    DOCUMENTATION = r"""
attributes:
  check_mode:
    description: Can run in check mode and return the changed status without writing.
    support: full
  diff_mode:
    description: Returns the change as C(before) and C(after) in diff mode.
    support: full
  idempotent:
    description: A second run with the same options changes nothing.
    support: full
"""
