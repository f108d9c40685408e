#!/usr/bin/env bash
# Deploy benchmark of the django_app role (playbooks/deploy.yml, playbooks/rollback.yml) on
# three Docker-in-Docker hosts started here, reached through `docker exec` (Ansible's docker
# connection) and over SSH as production reaches its hosts. Prints one table, a column per
# connection; asserts nothing.
#
#   bench/deploy.sh [--connection docker|ssh|both]    (default both; 10-20 minutes per
#                                                      connection; root or docker access,
#                                                      wrk, make setup)
#
# Measures, per connection, in one run:
#   1. requests that fail under wrk (keep-alive, and Connection: close) on every host's
#      proxy while a new release is deployed and while it is rolled back;
#   2. the time of a cold deploy to one host and of the same command again (no-op);
#   3. the time of a cold deploy to three hosts (default serial) against one host;
#   4. each host's switch, "container started -> traffic moved", and what a cold deploy
#      ships to a host.
# SSH as a user sets it up: a key pair made for the run in its temporary directory, an
# unprivileged user deploy with passwordless sudo on each host (the playbooks become root),
# the hosts' container addresses, pipelining, a control master per host (ControlPersist
# 60 s, its socket in the temporary directory) and host keys accepted on first use into a
# known_hosts there.
# Everything it starts is named bench-deploy-* (containers, their volumes, the images on
# the controller: bench-deploy/web*) and removed on exit, with the SSH control masters and
# the temporary directory. Per-run logs, with a per-task profile of each playbook run, stay
# in .cache/bench-deploy/.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
venv=${VENV:-$root/.venv}
logs=$root/.cache/bench-deploy
docker_inventory=$root/bench/deploy/inventory.yml
settings=$root/bench/deploy/vars.yml
hosts=(bench-deploy-1 bench-deploy-2 bench-deploy-3)
# The PostgreSQL server the hosts share (Debian's package, in a container of the same image).
database=bench-deploy-db
host_image=django-sentry-deploy/molecule-debian:12
# The unprivileged user the SSH connection logs in as (root through sudo).
ssh_user=deploy
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

declare -A port address seconds changed status cold_left
declare -A title=([docker]='docker exec' [ssh]=SSH)
connections=(docker ssh)
# The connection of the playbook runs under way.
connection=docker
wrk_pids=()
standin_pid=""
tmp=""

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

usage() {
  sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"
}

parse_args() {
  while (($#)); do
    case $1 in
      --connection)
        [[ $# -ge 2 ]] || die "--connection needs docker, ssh or both"
        set_connections "$2"
        shift 2
        ;;
      --connection=*) set_connections "${1#*=}"; shift ;;
      -h | --help) usage; exit 0 ;;
      *) die "unknown argument $1 (usage: bench/deploy.sh [--connection docker|ssh|both])" ;;
    esac
  done
}

set_connections() {
  case $1 in
    docker | ssh) connections=("$1") ;;
    both) connections=(docker ssh) ;;
    *) die "--connection must be docker, ssh or both, not '$1'" ;;
  esac
}

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
  if [[ " ${connections[*]} " == *" ssh "* ]]; then
    if ! command -v ssh >/dev/null || ! command -v ssh-keygen >/dev/null; then
      die "ssh and ssh-keygen are required for --connection ssh: apt-get install -y openssh-client"
    fi
  fi
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
  if [[ -n $standin_pid ]]; then kill "$standin_pid" 2>/dev/null || true; fi
  close_ssh
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
    address[$host]=$(docker inspect --format '{{.NetworkSettings.IPAddress}}' "$host")
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

# --- SSH, set up as on a server a user is given ---------------------------------------------

# On each host, through docker exec as a cloud image's first boot would: the user deploy,
# this run's public key as its only authorized key, passwordless sudo. On the controller:
# the key pair, an empty known_hosts, and an inventory that holds the whole SSH set-up.
setup_ssh() {
  local host i
  mkdir -m 700 "$tmp/ssh" "$tmp/ssh/control"
  ssh-keygen -q -t ed25519 -N '' -C bench-deploy -f "$tmp/ssh/id_ed25519"
  : >"$tmp/ssh/known_hosts"
  for host in "${hosts[@]}"; do
    docker exec -i -e SSH_USER="$ssh_user" "$host" sh -ec '
      useradd --create-home --shell /bin/bash "$SSH_USER"
      install -d -m 700 -o "$SSH_USER" -g "$SSH_USER" "/home/$SSH_USER/.ssh"
      install -m 600 -o "$SSH_USER" -g "$SSH_USER" /dev/stdin "/home/$SSH_USER/.ssh/authorized_keys"
      echo "$SSH_USER ALL=(ALL) NOPASSWD: ALL" >"/etc/sudoers.d/$SSH_USER"
      chmod 440 "/etc/sudoers.d/$SSH_USER"
      visudo -cqf "/etc/sudoers.d/$SSH_USER"
    ' <"$tmp/ssh/id_ed25519.pub" >>"$tmp/ssh/setup.log" 2>&1 \
      || die "could not set up the user $ssh_user on $host: $(cat "$tmp/ssh/setup.log")"
    for ((i = 0; i < 60; i++)); do
      timeout 2 bash -c "</dev/tcp/${address[$host]}/22" 2>/dev/null && break
      sleep 1
    done
    ((i < 60)) || die "no SSH server answers on $host (${address[$host]}:22)"
  done
  write_ssh_inventory >"$tmp/ssh/inventory.yml"
}

write_ssh_inventory() {
  local host
  cat <<EOF
# The bench hosts over SSH, written by bench/deploy.sh for one run.
all:
  vars:
    ansible_connection: ansible.builtin.ssh
    ansible_user: $ssh_user
    ansible_ssh_private_key_file: $tmp/ssh/id_ed25519
    ansible_ssh_pipelining: true
    ansible_ssh_args: -o ControlMaster=auto -o ControlPersist=60s
    ansible_control_path_dir: $tmp/ssh/control
    ansible_ssh_host_key_checking: true
    ansible_ssh_common_args: -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=$tmp/ssh/known_hosts
  children:
    docker_hosts:
      children:
        app_hosts:
          hosts:
EOF
  for host in "${hosts[@]}"; do
    printf '            %s:\n              ansible_host: %s\n' "$host" "${address[$host]}"
  done
}

# Ends this run's SSH control masters, so the next playbook run connects from scratch.
close_ssh() {
  local socket
  [[ -n $tmp && -d $tmp/ssh/control ]] || return 0
  for socket in "$tmp/ssh/control"/*; do
    [[ -S $socket ]] || continue
    ssh -o ControlPath="$socket" -O exit bench-deploy >/dev/null 2>&1 || true
  done
}

# --- Playbook runs ------------------------------------------------------------------------

# run_playbook LABEL PLAYBOOK [ARGS...]: runs it (a path under the checkout) over the current
# connection, keeps its log, records seconds, the sum of changed= over the recap and the
# exit code.
run_playbook() {
  local label=$1 playbook=$2 start rc=0 inventory=$docker_inventory
  shift 2
  [[ $connection == ssh ]] && inventory=$tmp/ssh/inventory.yml
  log "$label (over ${title[$connection]})"
  start=$(date +%s.%N)
  timeout "$playbook_timeout" "$venv/bin/ansible-playbook" -i "$inventory" \
    -e @"$settings" -e @"$tmp/secrets.yml" -e django_app_archive_dir="$tmp/releases" \
    "$root/$playbook" "$@" >"$logs/$label.log" 2>&1 || rc=$?
  seconds[$label]=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
  changed[$label]=$(awk '/ : ok=/ { for (i = 1; i <= NF; i++) if ($i ~ /^changed=/) { sub("changed=", "", $i); n += $i } } END { print n + 0 }' "$logs/$label.log")
  status[$label]=$rc
}

# One round of measurements over the current connection; labels start with its name. Each
# cold deploy starts without the hosts' images and without an open SSH connection.
measure() {
  local c=$connection host
  run_playbook "$c-roundtrip1" bench/deploy/roundtrip.yml --limit "${hosts[0]}"
  run_playbook "$c-roundtrip3" bench/deploy/roundtrip.yml

  reset_host "${hosts[0]}"
  close_ssh
  cold_left[$c]=$(images_left "${hosts[0]}")
  run_playbook "$c-cold1" playbooks/deploy.yml --limit "${hosts[0]}" -e django_app_version=bench1
  run_playbook "$c-noop1" playbooks/deploy.yml --limit "${hosts[0]}" -e django_app_version=bench1

  for host in "${hosts[@]}"; do reset_host "$host"; done
  close_ssh
  run_playbook "$c-cold3" playbooks/deploy.yml -e django_app_version=bench1
  run_playbook "$c-noop3" playbooks/deploy.yml -e django_app_version=bench1

  start_load "$c-redeploy"
  run_playbook "$c-redeploy" playbooks/deploy.yml -e django_app_version=bench2
  stop_load

  start_load "$c-rollback"
  run_playbook "$c-rollback" playbooks/rollback.yml
  stop_load
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

# load_cell LABEL MODE: requests, non-2xx/3xx, socket errors (connect/read/write/timeout)
# summed over the hosts, and the playbook's seconds.
load_cell() {
  local label=$1 mode=$2
  cat "$logs/$label"-*-"$mode".wrk | awk -v secs="${seconds[$label]}" -v rc="${status[$label]}" '
    / requests in / { requests += $1 }
    /Non-2xx or 3xx responses:/ { bad += $NF }
    /Socket errors:/ { gsub(",", ""); connect += $4; read += $6; write += $8; timeout += $10 }
    END { printf "%7d %5d %3d/%d/%d/%-3d %6s%s", requests, bad, connect, read, write, timeout, secs,
          (rc == 0 ? "" : " FAILED") }'
}

# --- Report -------------------------------------------------------------------------------

# row WHAT CELL...: a line of the side-by-side table, one cell per connection.
row() {
  local what=$1 cell
  shift
  printf '  %-42s' "$what"
  for cell in "$@"; do printf ' %24s' "$cell"; done
  printf '\n'
}

# each FUNCTION SUFFIX: FUNCTION's cell for every connection measured, label c-SUFFIX.
each() {
  local fn=$1 suffix=$2 c cells=()
  for c in "${connections[@]}"; do cells+=("$("$fn" "$c-$suffix" "$c")"); done
  printf '%s\n' "${cells[@]}"
}

table_row() {
  local what=$1 fn=$2 suffix=$3 cells
  mapfile -t cells < <(each "$fn" "$suffix")
  row "$what" "${cells[@]}"
}

# Seconds and changed of one timed run.
timed() {
  printf '%s s (%s)%s' "${seconds[$1]}" "${changed[$1]}" "$([[ ${status[$1]} -eq 0 ]] || echo ' FAILED')"
}

# Seconds per module run, from the ten pings of bench/deploy/roundtrip.yml.
per_module() {
  awk -v s="${seconds[$1]}" 'BEGIN { printf "%.2f s", s / 10 }'
}

ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'
}

noop_ratio() { ratio "${seconds[${2}-noop1]}" "${seconds[${2}-cold1]}"; }
hosts_ratio() { ratio "${seconds[${2}-cold3]}" "${seconds[${2}-cold1]}"; }
switches() { "$venv/bin/python" "$root/bench/deploy/phases.py" --switch "$logs/$1.log"; }
shipped() { "$venv/bin/python" "$root/bench/deploy/phases.py" --shipped "$logs/$1.log"; }
images() { printf '%s images' "${cold_left[$2]}"; }

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
  local load_start=$1 c label run mode cells
  printf '\nDeploy benchmark: django_app on %d Docker-in-Docker hosts (Debian 12, docker.io), %s\n' \
    "${#hosts[@]}" "$(date -u +'%Y-%m-%d %H:%M UTC')"
  printf 'Machine: %s cores, load average %s at the start, %s at the end; shared with other\n' \
    "$(nproc)" "$load_start" "$(cut -d' ' -f1-3 /proc/loadavg)"
  printf '  runs, and the three hosts share its cores: numbers are noisy. The connections were\n'
  printf '  measured one after the other, in the order of the columns.\n'
  printf 'Hosts provisioned once (docker_engine, in parallel, over %s): %ss. The controller holds\n' \
    "${title[${connections[0]}]}" "${seconds[provision]}"
  printf '  both releases'"'"' images and their exported archive before any measured run (warm-up\n'
  printf '  deploys built them: %ss and %ss), so a cold deploy ships, loads, configures, migrates\n' \
    "${seconds[warmup2]}" "${seconds[warmup1]}"
  printf '  and switches, but does not build. Cold: the host runs its engine but holds no image,\n'
  printf '  app container, network, volume or /opt/web, and no SSH connection is open.\n'
  printf '  SSH: user %s with sudo, key made for the run, pipelining, ControlPersist=60s.\n\n' "$ssh_user"

  cells=()
  for c in "${connections[@]}"; do cells+=("${title[$c]}"); done
  row 'deploy (playbooks/deploy.yml)' "${cells[@]}"
  table_row 'one module run (ping, become), 1 host' per_module roundtrip1
  table_row 'one module run, 3 hosts at once' per_module roundtrip3
  table_row 'images left on the host after the reset' images cold1
  table_row 'cold, 1 host: seconds (changed)' timed cold1
  table_row 'same command again, 1 host (no-op)' timed noop1
  table_row 'no-op / cold, 1 host (aim <= 0.15)' noop_ratio ratio
  table_row 'cold, 3 hosts (serial 1)' timed cold3
  table_row 'same command again, 3 hosts (no-op)' timed noop3
  table_row 'cold 3 hosts / cold 1 host (aim <= 1.5)' hosts_ratio ratio
  row 'container started -> traffic moved, s:'
  table_row '  cold, 1 host' switches cold1
  table_row '  cold, 3 hosts (hosts 1 / 2 / 3)' switches cold3
  table_row '  redeploy under load' switches redeploy
  table_row '  rollback under load' switches rollback
  table_row 'shipped to each host, cold 1 host' shipped cold1
  table_row 'shipped to each host, cold 3 hosts' shipped cold3

  printf '\n  seconds per play (prepare = validate, images, .env, proxy, migrations on every host at\n'
  printf '  once; switch = one serial batch; marker = the Sentry release record):\n'
  for c in "${connections[@]}"; do
    for run in cold1 noop1 cold3 noop3 redeploy rollback; do
      label=$c-$run
      printf '    %-16s %s%s\n' "$label" "$("$venv/bin/python" "$root/bench/deploy/phases.py" "$logs/$label.log")" \
        "$([[ ${status[$label]} -eq 0 ]] || echo "  (failed, rc ${status[$label]}: $logs/$label.log)")"
    done
  done

  printf '\n  Requests during a switch on all %d hosts: wrk -t1 -c%d per host and mode, %d ms pause between\n' \
    "${#hosts[@]}" "$wrk_connections" "$wrk_pause_ms"
  printf '  the requests of a connection, GET /version on 127.0.0.1:<host port 80>, from 2 s before the\n'
  printf '  playbook to 2 s after it; sums over the hosts. wrk counts a keep-alive connection the server\n'
  printf '  closes while it is idle as a read error; with Connection: close every error is a lost request.\n'
  printf '  Each cell: requests, non-2xx/3xx, socket errors connect/read/write/timeout, playbook seconds.\n'
  cells=()
  for c in "${connections[@]}"; do cells+=("${title[$c]}"); done
  printf '  %-20s' run
  for c in "${cells[@]}"; do printf ' %-34s' "$c"; done
  printf '\n'
  for run in redeploy rollback; do
    for mode in keepalive close; do
      printf '  %-20s' "$run $mode"
      for c in "${connections[@]}"; do printf ' %-34s' "$(load_cell "$c-$run" "$mode")"; done
      printf '\n'
    done
  done
  printf '  (redeploy: -e django_app_version=bench2 over bench1; rollback: playbooks/rollback.yml\n'
  printf '   back to bench1)\n'

  for c in "${connections[@]}"; do
    changed_tasks "$c-noop1"
    changed_tasks "$c-noop3"
  done
  for c in "${connections[@]}"; do
    profile "$c-cold1"
    profile "$c-noop1"
    profile "$c-cold3"
  done
  printf '\nLogs: %s\n' "$logs"
}

# --- Main ---------------------------------------------------------------------------------

main() {
  local load_start
  parse_args "$@"
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
  [[ " ${connections[*]} " == *" ssh "* ]] && setup_ssh

  connection=${connections[0]}
  run_playbook provision playbooks/docker_host.yml
  [[ ${status[provision]} -eq 0 ]] || die "provisioning failed: $logs/provision.log"
  # Builds and exports both releases once, so no measured deploy builds.
  run_playbook warmup2 playbooks/deploy.yml --limit "${hosts[0]}" -e django_app_version=bench2
  [[ ${status[warmup2]} -eq 0 ]] || die "the warm-up deploy failed: $logs/warmup2.log"
  run_playbook warmup1 playbooks/deploy.yml --limit "${hosts[0]}" -e django_app_version=bench1
  [[ ${status[warmup1]} -eq 0 ]] || die "the warm-up deploy failed: $logs/warmup1.log"

  for connection in "${connections[@]}"; do
    measure
  done

  report "$load_start"
}

main "$@"
