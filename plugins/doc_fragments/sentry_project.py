"""Documentation of the project option of the sentry_* modules that work on one project."""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  project:
    description: Project slug (lowercase letters, digits, C(-) and C(_)).
    type: str
    required: true
"""
