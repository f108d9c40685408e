"""A local stand-in for the parts of Sentry's web API and ingest that the bundle uses."""

from .server import StandinServer, make_server

__all__ = ["StandinServer", "make_server"]
