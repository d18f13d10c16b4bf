#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests, CI and developers (issue 10).
#
#   scripts/pg.sh start    start one (installing Debian's postgresql package when initdb/pg_ctl are
#                          missing); a second start reuses the running server
#   scripts/pg.sh url      print its URL (postgres://ae:PASSWORD@127.0.0.1:PORT/postgres) on stdout
#   scripts/pg.sh status   say whether it runs, with the password redacted
#   scripts/pg.sh stop     stop it and delete its data
#
# The cluster lives in a fresh temp dir (data, unix socket, log), listens on 127.0.0.1 only, on a
# free port, and is owned by an unprivileged user (initdb refuses root: as root the server runs as
# the `postgres` user the package creates, else as `nobody`). TCP logins need the password of the
# role `ae` (scram-sha-256), so wrong-credential tests are possible; the unix socket, in a directory
# only the server's user can enter, trusts its user. Durability settings (fsync, synchronous_commit)
# stay at the server's defaults. The state file ($ACTION_EXECUTOR_PG_STATE_DIR, default
# <repo>/.pg-test/env, ignored by git, mode 600) is how `url`, `stop` and test/support/postgres.ts
# find the server. Progress goes to stderr; only `url` writes to stdout.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
state_dir="${ACTION_EXECUTOR_PG_STATE_DIR:-$repo/.pg-test}"
state_file="$state_dir/env"
role=ae

log() { echo "pg.sh: $*" >&2; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
seconds_since() { local ms=$(($(now_ms) - $1)); printf '%d.%03d s' $((ms / 1000)) $((ms % 1000)); }
redact() { sed -E 's#(://[^:/@]+:)[^@]*@#\1[REDACTED]@#' <<<"$1"; }

# initdb refuses to run as root, so root hands the cluster to an unprivileged user.
if [ "$(id -u)" -eq 0 ]; then
  if id postgres >/dev/null 2>&1; then owner=postgres; else owner=nobody; fi
  as_owner() { runuser -u "$owner" -- "$@"; }
else
  owner="$(id -un)"
  as_owner() { "$@"; }
fi

# The directory holding initdb and pg_ctl: from PATH, else Debian's per-version directories
# (newest first), which the postgresql package does not put on PATH.
find_bin_dir() {
  local candidate
  if command -v pg_ctl >/dev/null 2>&1; then
    candidate="$(dirname "$(readlink -f "$(command -v pg_ctl)")")"
    if [ -x "$candidate/initdb" ]; then echo "$candidate"; return 0; fi
  fi
  for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
    if [ -x "$candidate/initdb" ] && [ -x "$candidate/pg_ctl" ]; then echo "$candidate"; return 0; fi
  done
  return 1
}

# A port nobody listens on right now. Another process may take it before the server binds, so
# start() retries with a new one when the bind fails.
free_port() {
  node -e 'const s = require("node:net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

load_state() {
  # shellcheck disable=SC1090
  source "$state_file"
}

is_running() {
  [ -d "${PG_DATA:-}" ] && as_owner "$PG_BIN/pg_ctl" status -D "$PG_DATA" >/dev/null 2>&1
}

# Deletes a temp dir this script made, refusing anything that does not look like one.
remove_cluster_dir() {
  case "$1" in
    */action-executor-pg.??????) rm -rf -- "$1" ;;
    *) log "not deleting $1: it is not a directory pg.sh created" ;;
  esac
}

lock_state() {
  mkdir -p "$state_dir"
  # The server must not inherit this descriptor (pg_ctl start gets `9>&-`), or it would hold the
  # lock for as long as it runs.
  exec 9>"$state_dir/lock"
  flock 9
}

start() {
  lock_state
  if [ -f "$state_file" ]; then
    load_state
    if is_running; then
      log "already running: $(redact "$PG_URL") (data in $PG_DIR)"
      return 0
    fi
    log "the server recorded in $state_file is not running any more; starting a fresh one"
    remove_cluster_dir "$PG_DIR"
    rm -f "$state_file"
  fi

  local started bin_dir install_started
  started="$(now_ms)"
  if ! bin_dir="$(find_bin_dir)"; then
    log "initdb/pg_ctl not found (PATH, /usr/lib/postgresql/*/bin); installing Debian's postgresql package"
    install_started="$(now_ms)"
    bash "$repo/scripts/apt-install.sh" postgresql
    log "install took $(seconds_since "$install_started")"
    bin_dir="$(find_bin_dir)" || { log "postgresql is installed but initdb/pg_ctl are still missing"; exit 1; }
    started="$(now_ms)"
  fi

  local dir password
  dir="$(mktemp -d "${TMPDIR:-/tmp}/action-executor-pg.XXXXXX")"
  password="$(od -An -N18 -tx1 /dev/urandom | tr -d ' \n')"
  # The password reaches initdb through a file only its user can read, never a command line.
  printf '%s\n' "$password" >"$dir/pwfile"
  chmod 700 "$dir"
  chmod 600 "$dir/pwfile"
  if [ "$(id -u)" -eq 0 ]; then chown -R "$owner" "$dir"; fi

  local initdb_started
  initdb_started="$(now_ms)"
  if ! as_owner "$bin_dir/initdb" -D "$dir/data" -U "$role" --pwfile="$dir/pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --no-locale >"$dir/initdb.log" 2>&1; then
    log "initdb failed (as $owner):"
    tail -n 20 "$dir/initdb.log" >&2
    remove_cluster_dir "$dir"
    exit 1
  fi
  rm -f "$dir/pwfile"
  local initdb_time
  initdb_time="$(seconds_since "$initdb_started")"
  cat >>"$dir/data/postgresql.conf" <<CONF

# scripts/pg.sh: a throwaway test cluster, reachable from this machine only.
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
CONF

  local port attempt server_started
  server_started="$(now_ms)"
  for attempt in 1 2 3 4 5; do
    port="$(free_port)"
    if as_owner "$bin_dir/pg_ctl" start -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "-p $port" >/dev/null 2>&1 9>&-; then
      break
    fi
    if [ "$attempt" -lt 5 ] && grep -q 'could not bind\|Address already in use' "$dir/server.log" 2>/dev/null; then
      log "port $port was taken before the server bound it; trying another"
      continue
    fi
    log "the server did not start (as $owner); its log, $dir/server.log, ends with:"
    tail -n 20 "$dir/server.log" >&2 || true
    remove_cluster_dir "$dir"
    exit 1
  done

  local url="postgres://$role:$password@127.0.0.1:$port/postgres"
  local version
  version="$("$bin_dir/pg_ctl" --version | awk '{ print $3 }')"
  (
    umask 077
    {
      printf 'PG_URL=%q\n' "$url"
      printf 'PG_DIR=%q\n' "$dir"
      printf 'PG_DATA=%q\n' "$dir/data"
      printf 'PG_BIN=%q\n' "$bin_dir"
      printf 'PG_PORT=%q\n' "$port"
      printf 'PG_OWNER=%q\n' "$owner"
    } >"$state_file.tmp"
    mv "$state_file.tmp" "$state_file"
  )
  log "PostgreSQL $version running as $owner on $(redact "$url") in $(seconds_since "$started") (initdb $initdb_time, server start $(seconds_since "$server_started")); data in $dir"
}

stop() {
  lock_state
  if [ ! -f "$state_file" ]; then
    log "not running (no $state_file)"
    return 0
  fi
  load_state
  if is_running; then
    as_owner "$PG_BIN/pg_ctl" stop -D "$PG_DATA" -m fast -w -t 60 >/dev/null
  fi
  remove_cluster_dir "$PG_DIR"
  rm -f "$state_file"
  log "stopped the server on port $PG_PORT and deleted $PG_DIR"
}

url() {
  if [ -f "$state_file" ]; then
    load_state
    if is_running; then
      echo "$PG_URL"
      return 0
    fi
  fi
  log "PostgreSQL not running: npm run pg:start"
  exit 1
}

status() {
  if [ -f "$state_file" ]; then
    load_state
    if is_running; then
      log "running: $(redact "$PG_URL") (data in $PG_DIR, owner $PG_OWNER)"
      return 0
    fi
    log "not running: $state_file names a server that is gone"
    exit 1
  fi
  log "not running (no $state_file)"
  exit 1
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) url ;;
  status) status ;;
  *)
    echo "usage: $0 start|stop|url|status" >&2
    exit 2
    ;;
esac
