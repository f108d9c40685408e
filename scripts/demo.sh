#!/usr/bin/env bash
# make demo: the whole job on this machine in one command, safe to re-run.
#   1. `make setup` when something it provides is missing;
#   2. the local Sentry stand-in as a service (demo/standin.yml);
#   3. playbooks/site.yml against inventory/local (the app "web" on 127.0.0.1, alert rules);
#   4. one error through /sentry-debug/ and a summary (demo/summary.py).
# PROJECT=path/to/project deploys that Django project instead of the sample in app/.
# Ports: DEMO_APP_PORT (8080), DEMO_SENTRY_PORT (9000), DEMO_CANDIDATE_PORT (8079).
# DEMO_PROVISION_DOCKER=0|1 skips or forces the docker part of site.yml (default: only when
# the engine is Debian's docker.io on Debian as root, the one `make setup` installs).
set -euo pipefail
. "$(dirname "$0")/demo-lib.sh"

started=$SECONDS
demo_require_root
"$ROOT/scripts/setup.sh" --venv-only
if ! docker_ready || ! docker image inspect "$DEMO_BASE_IMAGE" >/dev/null 2>&1; then
  "$ROOT/scripts/setup.sh"
fi

if [ ! -f "$DEMO_MARKER" ] && { [ -e "$DEMO_APP_DIR" ] || docker container inspect web-proxy >/dev/null 2>&1; }; then
  die "an app named web already runs on this machine ($DEMO_APP_DIR or container web-proxy) and \
make demo did not start it; the demo would replace it. Remove it first."
fi
mkdir -p "$DEMO_STATE_DIR"
chmod 0700 "$DEMO_STATE_DIR"
touch "$DEMO_MARKER"

site_options=()
if ! demo_provisions_docker; then
  log "this Docker engine is not the one make setup installs: leaving it alone (site.yml --skip-tags docker)"
  site_options+=(--skip-tags docker)
fi

if [ -n "${PROJECT:-}" ]; then
  project=$(cd "$PROJECT" 2>/dev/null && pwd) || die "PROJECT=$PROJECT is not a directory"
  log "deploying the project in $project"
  site_options+=(-e "django_app_project_dir=$project")
fi

demo_play standin "$ROOT/demo/standin.yml"
demo_play site "$ROOT/playbooks/site.yml" "${site_options[@]}"
(cd "$ROOT" && "$VENV/bin/python" -m demo.summary --app-url "$DEMO_APP_URL" --sentry-url "$DEMO_SENTRY_URL")
log "make demo took $((SECONDS - started))s; changed tasks: ${DEMO_CHANGED_TOTAL} (full logs in .cache/demo/)"
