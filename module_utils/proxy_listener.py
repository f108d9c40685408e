"""Points one listener of the app's proxy at a release: its upstream file written in place,
then nginx reloaded in the proxy container (``proxy-reload``: ``nginx -t``, then a graceful
reload). One module run where a template and an exec took two: the switch does this twice
per host, between the new release's start and the traffic's move.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible.module_utils.docker_socket import DockerSocket
from ansible.module_utils.host_files import write_file

RELOAD = ["proxy-reload"]


class ListenerError(Exception):
    """The file cannot be written or nginx refused the reload: one line, nginx's own words."""


def point(params: Mapping[str, Any], docker: DockerSocket, check_mode: bool) -> dict[str, Any]:
    """Write the listener's file, then reload the proxy (always: a run killed between the two
    leaves a file nginx has not read)."""
    try:
        written = write_file(params["path"], params["content"], params["mode"], params["owner"],
                             params["group"], check_mode)
    except (OSError, KeyError) as error:
        raise ListenerError(f"cannot write {params['path']}: {error}") from None
    if check_mode or not params["reload"]:
        return {"changed": written or params["reload"], "written": written}
    exit_code, output = docker.exec_run(params["container"], RELOAD)
    if exit_code != 0:
        raise ListenerError(
            f"nginx in {params['container']} refused the reload (exit code {exit_code}): "
            f"{output.strip() or 'no output'}"
        )
    return {"changed": True, "written": written}
