"""Development tools that ship with the bundle (the local Sentry stand-in)."""
