#!/usr/bin/env bash
# Deploy benchmark of the django_app role (playbooks/deploy.yml, playbooks/rollback.yml) on
# three Docker-in-Docker hosts started here. Prints one table; asserts nothing.
#
#   bench/deploy.sh            (10-20 minutes; needs root or docker access, wrk, make setup)
#
# Measures, in one run:
#   1. requests that fail under wrk (keep-alive, and Connection: close) on every host's
#      proxy while a new release is deployed and while it is rolled back;
#   2. the time of a cold deploy to one host and of the same command again (no-op);
#   3. the time of a cold deploy to three hosts (default serial) against one host.
# Everything it starts is named bench-deploy-* (containers, their volumes, the images on
# the controller: bench-deploy/web*) and removed on exit. Per-run logs, with a per-task
# profile of each playbook run, stay in .cache/bench-deploy/.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
venv=${VENV:-$root/.venv}
logs=$root/.cache/bench-deploy
inventory=$root/bench/deploy/inventory.yml
settings=$root/bench/deploy/vars.yml
hosts=(bench-deploy-1 bench-deploy-2 bench-deploy-3)
# The PostgreSQL server the hosts share (Debian's package, in a container of the same image).
database=bench-deploy-db
host_image=django-sentry-deploy/molecule-debian:12
# Load per host and per connection mode: a few connections, each pausing between requests
# (bench/deploy/paced.lua), because the hosts, the playbook and wrk share the machine's cores.
wrk_connections=2
wrk_pause_ms=100
# Bounds: no playbook run or load may outlive these.
playbook_timeout=900
wrk_max_seconds=960

export ANSIBLE_CONFIG=$root/ansible.cfg
# The per-task breakdown printed below the table comes from this callback.
export ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks
export PROFILE_TASKS_TASK_OUTPUT_LIMIT=8

declare -A port seconds changed status
wrk_pids=()
standin_pid=""
tmp=""

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# --- Requirements ----------------------------------------------------------------------

require_wrk() {
  command -v wrk >/dev/null && return
  [[ $(id -u) -eq 0 ]] || die "wrk is required: apt-get install -y wrk"
  log "installing wrk (apt-get install -y wrk)"
  apt-get update -qq && apt-get install -y -qq wrk >/dev/null
}

require_tools() {
  local host
  [[ -x $venv/bin/ansible-playbook ]] || die "no $venv/bin/ansible-playbook: run make setup (or set VENV)"
  docker info >/dev/null 2>&1 || die "no Docker engine answers: run make setup"
  docker image inspect "$host_image" >/dev/null 2>&1 || die "image $host_image is missing: run make setup"
  for host in "${hosts[@]}" "$database"; do
    if docker container inspect "$host" >/dev/null 2>&1; then
      die "container $host exists (another bench run?); remove it with: docker rm -f $host"
    fi
  done
}

# --- Clean-up: only what this script started, by id or name -----------------------------

cleanup() {
  local pid host
  for pid in "${wrk_pids[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
  [[ -n $standin_pid ]] && kill "$standin_pid" 2>/dev/null || true
  for host in "${hosts[@]}"; do
    docker rm -f "$host" >/dev/null 2>&1 || true
    docker volume rm "$host-var-lib-docker" >/dev/null 2>&1 || true
  done
  docker rm -f "$database" >/dev/null 2>&1 || true
  docker image ls --filter 'reference=bench-deploy/*' --format '{{.Repository}}:{{.Tag}}' \
    | xargs -r docker image rm >/dev/null 2>&1 || true
  [[ -n $tmp ]] && rm -rf "$tmp"
}

# --- Hosts and the Sentry stand-in ----------------------------------------------------

# The same Docker-in-Docker instance as the Molecule scenarios (create.yml with
# docker_in_docker: true), plus port 80 published on a free loopback port for wrk.
start_hosts() {
  local host i
  for host in "${hosts[@]}"; do
    docker run --detach --name "$host" --hostname "$host" \
      --cap-add ALL --cap-drop SYS_RESOURCE \
      --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
      --cgroupns host --volume /sys/fs/cgroup:/sys/fs/cgroup:rw \
      --tmpfs /run --tmpfs /run/lock --tmpfs /tmp \
      --volume "$host-var-lib-docker:/var/lib/docker" \
      --publish 127.0.0.1::80 --label owner=bench-deploy \
      "$host_image" >/dev/null
    port[$host]=$(docker port "$host" 80/tcp | head -n1 | sed 's/.*://')
  done
  # systemd answers only once its bus is up: ask again, at most for a minute per host.
  for host in "${hosts[@]}"; do
    for ((i = 0; i < 30; i++)); do
      case $(timeout 60 docker exec "$host" systemctl is-system-running --wait 2>/dev/null) in
        running | degraded) break ;;
      esac
      sleep 2
    done
  done
}

# One PostgreSQL server for the three hosts (the role refuses SQLite on more than one host):
# Debian's package, the cluster started without systemd, a password made for this run.
start_database() {
  docker run --detach --name "$database" --hostname "$database" --label owner=bench-deploy \
    --entrypoint sleep "$host_image" infinity >/dev/null
  database_password=$("$venv/bin/python" -c 'import secrets; print(secrets.token_hex(16))')
  docker exec -e PASSWORD="$database_password" "$database" sh -ec '
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
    conf=$(ls -d /etc/postgresql/*/main)
    echo "listen_addresses = '"'"'*'"'"'" >"$conf/conf.d/listen.conf"
    echo "host bench bench 0.0.0.0/0 scram-sha-256" >>"$conf/pg_hba.conf"
    pg_ctlcluster "$(basename "$(dirname "$conf")")" main start
    su postgres -c "psql -q -c \"CREATE ROLE bench LOGIN PASSWORD '"'"'$PASSWORD'"'"'\""
    su postgres -c "createdb -O bench bench"
  ' >"$tmp/database.log" 2>&1 || die "PostgreSQL did not start: $tmp/database.log"
  database_address=$(docker inspect --format '{{.NetworkSettings.IPAddress}}' "$database")
}

# The stand-in listens on the engine's bridge address, which the app containers inside the
# hosts reach through two levels of NAT.
start_standin() {
  local address url i
  address=$(ip -4 -o addr show docker0 | awk '{ sub("/.*", "", $4); print $4 }')
  [[ -n $address ]] || die "no IPv4 address on docker0 for the Sentry stand-in"
  (cd "$root" && exec "$venv/bin/python" -m tools.sentry_standin --host "$address" --port 0 \
    >"$tmp/standin.log" 2>&1) &
  standin_pid=$!
  for ((i = 0; i < 60; i++)); do
    url=$(grep -o 'http://[0-9.]*:[0-9]*' "$tmp/standin.log" 2>/dev/null || true)
    [[ -n $url ]] && break
    sleep 0.5
  done
  [[ -n $url ]] || die "the Sentry stand-in did not start: $(cat "$tmp/standin.log")"
  standin_url=$url
}

# Throwaway secrets, written for this run only to a private file (-e @file).
write_secrets() {
  local secret_key
  secret_key=$("$venv/bin/python" -c 'import secrets; print(secrets.token_urlsafe(48))')
  (umask 077 && cat >"$tmp/secrets.yml" <<EOF
# The stand-in's seeded project key and test token; a secret key made for this run.
django_app_sentry_dsn: "http://0a1b2c3d4e5f40718293a4b5c6d74501@${standin_url#http://}/4501"
django_app_secret_key: "bench-$secret_key"
django_app_database_url: "postgres://bench:$database_password@$database_address:5432/bench"
sentry_api_url: "$standin_url"
sentry_api_token: sntrys_test_full
sentry_org: acme
sentry_project: web
EOF
  )
}

# "Cold": the app's containers (web-*), every image of the host's engine, the app's network
# and volume and /opt/web removed; the engine itself keeps running.
reset_host() {
  docker exec "$1" sh -c '
    docker ps -aq --filter name=^web- | xargs -r docker rm -f
    docker image ls -q | sort -u | xargs -r docker image rm -f
    docker network rm web; docker volume rm web-data; rm -rf /opt/web
  ' >/dev/null 2>&1 || true
}

images_left() {
  docker exec "$1" docker image ls -q | wc -l
}

# --- Playbook runs ------------------------------------------------------------------------

# run_playbook LABEL PLAYBOOK [ARGS...]: runs it (a path under the checkout), keeps its log,
# records seconds, the sum of changed= over the recap and the exit code.
run_playbook() {
  local label=$1 playbook=$2 start rc=0
  shift 2
  log "$label"
  start=$(date +%s.%N)
  timeout "$playbook_timeout" "$venv/bin/ansible-playbook" -i "$inventory" \
    -e @"$settings" -e @"$tmp/secrets.yml" -e django_app_archive_dir="$tmp/releases" \
    "$root/$playbook" "$@" >"$logs/$label.log" 2>&1 || rc=$?
  seconds[$label]=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
  changed[$label]=$(awk '/ : ok=/ { for (i = 1; i <= NF; i++) if ($i ~ /^changed=/) { sub("changed=", "", $i); n += $i } } END { print n + 0 }' "$logs/$label.log")
  status[$label]=$rc
}

# --- Load ---------------------------------------------------------------------------------

# Two wrk per host: keep-alive connections, and a new connection per request (they behave
# differently across an nginx reload: idle keep-alive connections are closed by the old
# workers). wrk runs longer than any playbook and is stopped with SIGINT, which makes it
# print its totals.
start_load() {
  local label=$1 host
  local wrk_args=(-t1 -c"$wrk_connections" -d"${wrk_max_seconds}s" --timeout 5s -s "$root/bench/deploy/paced.lua")
  wrk_pids=()
  for host in "${hosts[@]}"; do
    wrk "${wrk_args[@]}" "http://127.0.0.1:${port[$host]}/version" -- "$wrk_pause_ms" \
      >"$logs/$label-$host-keepalive.wrk" 2>&1 &
    wrk_pids+=($!)
    wrk "${wrk_args[@]}" -H 'Connection: close' "http://127.0.0.1:${port[$host]}/version" -- "$wrk_pause_ms" \
      >"$logs/$label-$host-close.wrk" 2>&1 &
    wrk_pids+=($!)
  done
  sleep 2
}

stop_load() {
  local pid i
  sleep 2
  for pid in "${wrk_pids[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
  for pid in "${wrk_pids[@]}"; do
    for ((i = 0; i < 20; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  wrk_pids=()
}

# load_line LABEL MODE: requests, non-2xx/3xx and socket errors summed over the hosts.
load_line() {
  local label=$1 mode=$2
  cat "$logs/$label"-*-"$mode".wrk | awk -v run="$label" -v mode="$mode" -v secs="${seconds[$label]}" -v rc="${status[$label]}" '
    / requests in / { requests += $1 }
    /Non-2xx or 3xx responses:/ { bad += $NF }
    /Socket errors:/ { gsub(",", ""); connect += $4; read += $6; write += $8; timeout += $10 }
    END { printf "  %-10s %-11s %9d %12d %10d %6d %6d %8d %9s%s\n", run, mode, requests, bad,
          connect, read, write, timeout, secs, (rc == 0 ? "" : "  (playbook failed, rc " rc ")") }'
}

# --- Report -------------------------------------------------------------------------------

# One timed run: seconds, changed, then seconds per play (prepare, each switch batch, marker).
time_line() {
  local label=$1 what=$2
  printf '  %-36s %8s %8s   %s%s\n' "$what" "${seconds[$label]}" "${changed[$label]}" \
    "$("$venv/bin/python" "$root/bench/deploy/phases.py" "$logs/$label.log")" \
    "$([[ ${status[$label]} -eq 0 ]] || echo "  (failed, rc ${status[$label]}: $logs/$label.log)")"
}

# Seconds per module run, from the ten pings of bench/deploy/roundtrip.yml.
per_module() {
  awk -v s="${seconds[$1]}" 'BEGIN { printf "%.2f", s / 10 }'
}

ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'
}

# The tasks that reported a change (what keeps a no-op run from being one).
changed_tasks() {
  local label=$1
  [[ ${changed[$label]} -gt 0 ]] || return 0
  printf '\n  tasks that changed something, %s:\n' "$label"
  awk '/^TASK \[/ { task = $0; sub(/^TASK \[/, "", task); sub(/\] \**$/, "", task) }
       /^changed: / { print "    " task ": " $2 }' "$logs/$label.log" | sort | uniq -c
}

# The profile_tasks summary: the slowest tasks of a run.
profile() {
  local label=$1
  printf '\n  slowest tasks, %s (%ss):\n' "$label" "${seconds[$label]}"
  awk '/^=+ *$/ { on = 1; next } on && NF' "$logs/$label.log" | head -n "$PROFILE_TASKS_TASK_OUTPUT_LIMIT" \
    | sed 's/^/    /'
}

report() {
  local cold_left=$1 load_start=$2
  printf '\nDeploy benchmark: django_app on %d Docker-in-Docker hosts (Debian 12, docker.io), %s\n' \
    "${#hosts[@]}" "$(date -u +'%Y-%m-%d %H:%M UTC')"
  printf 'Machine: %s cores, load average %s at the start, %s at the end; shared with other\n' \
    "$(nproc)" "$load_start" "$(cut -d' ' -f1-3 /proc/loadavg)"
  printf '  runs, and the three hosts share its cores: numbers are noisy.\n'
  printf 'Hosts provisioned once (docker_engine, in parallel): %ss. One module run (ping, become)\n' "${seconds[provision]}"
  printf '  costs %ss on one host, %ss on three at once (whole playbook / 10, start-up included).\n' \
    "$(per_module roundtrip1)" "$(per_module roundtrip3)"
  printf 'Cold: the host runs its engine but holds no image (%s left after the reset), no app\n' "$cold_left"
  printf '  container, network, volume or /opt/web; the controller already holds both images and\n'
  printf '  their exported archive (a warm-up deploy built them: %ss), so a cold deploy ships,\n' "${seconds[warmup]}"
  printf '  loads, configures, migrates and switches, but does not build.\n\n'

  printf '  %-36s %8s %8s   %s\n' 'deploy (playbooks/deploy.yml)' seconds changed 'seconds per play'
  time_line cold1 'cold, 1 host'
  time_line noop1 'same command again, 1 host (no-op)'
  printf '  %-36s %8s   (target <= 0.15)\n' 'no-op / cold, 1 host' "$(ratio "${seconds[noop1]}" "${seconds[cold1]}")"
  time_line cold3 'cold, 3 hosts (serial 1)'
  time_line noop3 'same command again, 3 hosts (no-op)'
  printf '  %-36s %8s   (target <= 1.5)\n' 'cold 3 hosts / cold 1 host' "$(ratio "${seconds[cold3]}" "${seconds[cold1]}")"

  printf '\n  Requests during a switch on all %d hosts: wrk -t1 -c%d per host and mode, %d ms pause between\n' \
    "${#hosts[@]}" "$wrk_connections" "$wrk_pause_ms"
  printf '  the requests of a connection, GET /version on 127.0.0.1:<host port 80>, from 2 s before the\n'
  printf '  playbook to 2 s after it; sums over the hosts. wrk counts a keep-alive connection the server\n'
  printf '  closes while it is idle as a read error; with Connection: close every error is a lost request.\n'
  printf '  %-10s %-11s %9s %12s %10s %6s %6s %8s %9s\n' run connections requests non-2xx/3xx \
    'sock:conn' read write timeout playbook
  load_line redeploy keepalive
  load_line redeploy close
  load_line rollback keepalive
  load_line rollback close
  printf '  (redeploy: -e django_app_version=bench2 over bench1, image built on the controller;\n'
  printf '   rollback: playbooks/rollback.yml back to bench1)\n'
  printf '  (seconds per play: prepare = validate, images, .env, proxy, migrations on every host at\n'
  printf '   once; switch = one serial batch; marker = the Sentry release record)\n'

  changed_tasks noop1
  changed_tasks noop3
  profile cold1
  profile noop1
  profile cold3
  printf '\nLogs: %s\n' "$logs"
}

# --- Main ---------------------------------------------------------------------------------

main() {
  local host cold_left load_start
  load_start=$(cut -d' ' -f1-3 /proc/loadavg)
  require_wrk
  require_tools
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  tmp=$(mktemp -d)
  mkdir -p "$logs" "$tmp/releases"
  chmod 700 "$logs"
  rm -f "$logs"/*.log "$logs"/*.wrk

  log "starting ${hosts[*]}"
  start_hosts
  start_database
  start_standin
  write_secrets
  run_playbook provision playbooks/docker_host.yml
  [[ ${status[provision]} -eq 0 ]] || die "provisioning failed: $logs/provision.log"
  run_playbook roundtrip1 bench/deploy/roundtrip.yml --limit "${hosts[0]}"
  run_playbook roundtrip3 bench/deploy/roundtrip.yml

  # Builds and exports the images once, so every measured deploy finds them on the controller.
  run_playbook warmup playbooks/deploy.yml --limit "${hosts[0]}" -e django_app_version=bench1
  [[ ${status[warmup]} -eq 0 ]] || die "the warm-up deploy failed: $logs/warmup.log"

  reset_host "${hosts[0]}"
  cold_left=$(images_left "${hosts[0]}")
  run_playbook cold1 playbooks/deploy.yml --limit "${hosts[0]}" -e django_app_version=bench1
  run_playbook noop1 playbooks/deploy.yml --limit "${hosts[0]}" -e django_app_version=bench1

  for host in "${hosts[@]}"; do reset_host "$host"; done
  run_playbook cold3 playbooks/deploy.yml -e django_app_version=bench1
  run_playbook noop3 playbooks/deploy.yml -e django_app_version=bench1

  start_load redeploy
  run_playbook redeploy playbooks/deploy.yml -e django_app_version=bench2
  stop_load

  start_load rollback
  run_playbook rollback playbooks/rollback.yml
  stop_load

  report "$cold_left" "$load_start"
}

main "$@"
