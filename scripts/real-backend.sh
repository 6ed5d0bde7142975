#!/usr/bin/env bash
# Bring up / seed / stop an unmodified Medusa 2.21.2 backend (the reference
# server the mock is compared against) with PostgreSQL, on loopback only.
#
#   scripts/real-backend.sh up [--no-seed]    install what is missing, migrate, start, seed
#   scripts/real-backend.sh seed [LABELS...]  seed a fresh set of payments (all, or A B ...)
#   scripts/real-backend.sh status            what is up
#   scripts/real-backend.sh down [--all]      stop the server (--all: PostgreSQL too)
#   scripts/real-backend.sh logs [N]          tail the server log
#
# Environment: REAL_PORT (default 9001), REAL_HOST (default 127.0.0.1),
#   REAL_HEALTH_TIMEOUT (s, default 120), ADMIN_CORS / AUTH_CORS (see
#   realbackend/medusa-config.ts), REAL_FORCE_MIGRATE=1 (always run db:migrate).
# Files: realbackend/.state/{medusa.pid,medusa-server.log,seed.json,seed.log,...}
# What a run of it does, and what the backend answered: docs/real-backend-observations.md
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RB="$ROOT/realbackend"
STATE="$RB/.state"
PORT="${REAL_PORT:-9001}"
HOST="${REAL_HOST:-127.0.0.1}"
HEALTH_TIMEOUT="${REAL_HEALTH_TIMEOUT:-120}"
BASE="http://$HOST:$PORT"
PIDFILE="$STATE/medusa.pid"
LOG="$STATE/medusa-server.log"
SEED_JSON="$STATE/seed.json"
PG_PORT=5432
DB_URL="postgres://medusa:medusa@127.0.0.1:$PG_PORT/medusa"
ADMIN_EMAIL="admin@example.com"
ADMIN_PASSWORD="supersecret"
MEDUSA_BIN="$RB/node_modules/.bin/medusa"

T0=$(date +%s.%N)
log() { printf '[real-backend %6.1fs] %s\n' "$(awk -v a="$(date +%s.%N)" -v b="$T0" 'BEGIN{print a-b}')" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
as_postgres() { (cd / && if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi); }

# ---------------------------------------------------------------- PostgreSQL
pg_version() {
  # first cluster named "main" (Debian 12 -> 15)
  pg_lsclusters -h 2>/dev/null | awk '$2=="main"{print $1; exit}'
}

ensure_pg_installed() {
  if command -v pg_ctlcluster >/dev/null 2>&1 && command -v psql >/dev/null 2>&1 && [ -n "$(pg_version)" ]; then
    return
  fi
  log "installing postgresql (apt)"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql >/dev/null
  [ -n "$(pg_version)" ] || die "postgresql installed but no 'main' cluster found (pg_lsclusters)"
}

ensure_pg_running() {
  local v conf changed=0
  v="$(pg_version)"
  conf="/etc/postgresql/$v/main/postgresql.conf"
  if ! grep -qE "^listen_addresses *= *'127\.0\.0\.1'" "$conf"; then
    log "setting listen_addresses = '127.0.0.1' in $conf"
    if grep -qE "^#?listen_addresses" "$conf"; then
      as_root sed -i -E "s/^#?listen_addresses *=.*/listen_addresses = '127.0.0.1'/" "$conf"
    else
      echo "listen_addresses = '127.0.0.1'" | as_root tee -a "$conf" >/dev/null
    fi
    changed=1
  fi
  if pg_ctlcluster "$v" main status >/dev/null 2>&1; then
    if [ "$changed" = 1 ]; then
      log "restarting PostgreSQL $v (listen_addresses changed)"
      as_root pg_ctlcluster "$v" main restart 9>&-   # the server must not inherit our lock
    fi
  else
    log "starting PostgreSQL $v"
    as_root pg_ctlcluster "$v" main start 9>&-   # the server must not inherit our lock
  fi
  for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p "$PG_PORT" && return
    sleep 0.5
  done
  die "PostgreSQL does not answer on 127.0.0.1:$PG_PORT"
}

ensure_db() {
  if [ "$(as_postgres psql -tAXc "select 1 from pg_roles where rolname='medusa'")" != 1 ]; then
    log "creating role medusa"
    as_postgres psql -qX -v ON_ERROR_STOP=1 -c "CREATE USER medusa WITH PASSWORD 'medusa' SUPERUSER;"
  fi
  if [ "$(as_postgres psql -tAXc "select 1 from pg_database where datname='medusa'")" != 1 ]; then
    log "creating database medusa"
    as_postgres psql -qX -v ON_ERROR_STOP=1 -c "CREATE DATABASE medusa OWNER medusa;"
  fi
}

dbq() { PGPASSWORD=medusa psql -h 127.0.0.1 -p "$PG_PORT" -U medusa -d medusa -tAX -v ON_ERROR_STOP=1 -c "$1"; }

# ---------------------------------------------------------------- Node project
lock_hash() { sha256sum "$RB/package-lock.json" "$RB/package.json" | sha256sum | cut -c1-64; }

ensure_node_modules() {
  local h; h="$(lock_hash)"
  if [ -x "$MEDUSA_BIN" ] && [ -f "$STATE/npm-ci.sha256" ] && [ "$(cat "$STATE/npm-ci.sha256")" = "$h" ]; then
    return
  fi
  log "npm ci in realbackend/ (node_modules missing or package-lock.json changed)"
  local t=$(date +%s)
  (cd "$RB" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed"
  echo "$h" > "$STATE/npm-ci.sha256"
  log "npm ci done in $(( $(date +%s) - t )) s"
}

write_env() {
  local want
  want="# Written by scripts/real-backend.sh; fixed development values only.
MEDUSA_DISABLE_TELEMETRY=true
DATABASE_URL=$DB_URL
JWT_SECRET=supersecret
COOKIE_SECRET=supersecret"
  if [ ! -f "$RB/.env" ] || [ "$(cat "$RB/.env")" != "$want" ]; then
    printf '%s\n' "$want" > "$RB/.env"
  fi
}

medusa() { (cd "$RB" && NODE_ENV=development MEDUSA_DISABLE_TELEMETRY=true "$MEDUSA_BIN" "$@"); }

ensure_migrated() {
  local h marker="$STATE/migrated.sha256"
  h="$(lock_hash)"
  if [ "${REAL_FORCE_MIGRATE:-0}" != 1 ] && [ -f "$marker" ] && [ "$(cat "$marker")" = "$h" ] \
     && [ "$(dbq "select (to_regclass('public.payment') is not null and to_regclass('public.refund_reason') is not null and to_regclass('public.order_payment_collection') is not null)::int")" = 1 ]; then
    return
  fi
  log "medusa db:migrate"
  local t=$(date +%s)
  medusa db:migrate > "$STATE/migrate.log" 2>&1 || { tail -40 "$STATE/migrate.log" >&2; die "db:migrate failed (full log: $STATE/migrate.log)"; }
  echo "$h" > "$marker"
  log "migrated in $(( $(date +%s) - t )) s"
  if [ ! -f "$STATE/telemetry-disabled" ]; then
    medusa telemetry --disable >/dev/null 2>&1 || true
    touch "$STATE/telemetry-disabled"
  fi
}

ensure_admin() {
  local n
  n="$(dbq "select (exists(select 1 from \"user\" where email='$ADMIN_EMAIL' and deleted_at is null) and exists(select 1 from provider_identity where entity_id='$ADMIN_EMAIL' and provider='emailpass' and deleted_at is null))::int" 2>/dev/null || echo 0)"
  if [ "${n:-0}" -ge 1 ] 2>/dev/null; then return; fi
  log "creating admin user $ADMIN_EMAIL"
  medusa user -e "$ADMIN_EMAIL" -p "$ADMIN_PASSWORD" > "$STATE/user.log" 2>&1 \
    || { tail -20 "$STATE/user.log" >&2; die "medusa user failed"; }
  grep -q "User created successfully" "$STATE/user.log" || { tail -20 "$STATE/user.log" >&2; die "medusa user did not report success"; }
}

# ---------------------------------------------------------------- server
healthy() { [ "$(curl -s --max-time 2 "$BASE/health" 2>/dev/null || true)" = OK ]; }
server_pid() {
  local p
  [ -f "$PIDFILE" ] || return 1
  p="$(cat "$PIDFILE")"
  [ -n "$p" ] && kill -0 "$p" 2>/dev/null && echo "$p"
}
port_in_use() { ss -Hltn "sport = :$PORT" 2>/dev/null | grep -q .; }

start_server() {
  if healthy; then
    log "server already answers $BASE/health"
    return
  fi
  if ! server_pid >/dev/null; then
    port_in_use && die "port $PORT is in use by something that is not our Medusa (set REAL_PORT)"
    log "starting medusa on $HOST:$PORT (log: ${LOG#$ROOT/})"
    printf '\n===== %s real-backend.sh: medusa start -H %s -p %s =====\n' "$(date -u +%FT%TZ)" "$HOST" "$PORT" >> "$LOG"
    # A simple async command: bash forks once and the child execs setsid, which
    # (not being a group leader) makes itself a new session/process group and
    # execs nohup -> medusa. So $! is the server's pid and its pgid. fd 9 (our
    # lock) is closed so the server does not hold it.
    (
      cd "$RB" || exit 1
      NODE_ENV=development MEDUSA_DISABLE_TELEMETRY=true \
        setsid nohup "$MEDUSA_BIN" start -H "$HOST" -p "$PORT" >> "$LOG" 2>&1 < /dev/null 9>&- &
      echo $! > "$PIDFILE"
    )
  else
    local p; p="$(cat "$PIDFILE")"
    if ! tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | grep -q -- "-p $PORT "; then
      die "pid $p in ${PIDFILE#$ROOT/} is a server on another port; run 'down' first (one instance at a time)"
    fi
    log "server process $p exists; waiting for it"
  fi
  local t=$(date +%s)
  while :; do
    if healthy; then log "server healthy after $(( $(date +%s) - t )) s"; return; fi
    if ! server_pid >/dev/null; then
      log "server process exited; last log lines:"; tail -40 "$LOG" >&2
      die "medusa start failed"
    fi
    if [ $(( $(date +%s) - t )) -ge "$HEALTH_TIMEOUT" ]; then
      log "no /health after ${HEALTH_TIMEOUT}s; last log lines:"; tail -40 "$LOG" >&2
      die "medusa start timed out"
    fi
    sleep 0.5
  done
}

stop_server() {
  local p pg
  if ! p="$(server_pid)"; then
    rm -f "$PIDFILE"
    if healthy; then log "something answers $BASE/health but it was not started by this script (no pid file); left alone"; else log "server not running"; fi
    return
  fi
  pg="$(ps -o pgid= -p "$p" | tr -d ' ')"
  # Only signal the whole group if the server leads its own group (setsid);
  # never the group of this script or of the caller.
  local target="$p"
  [ "$pg" = "$p" ] && target="-$pg"
  log "stopping medusa (pid $p, process group $pg)"
  kill -TERM -- "$target" 2>/dev/null || true
  for _ in $(seq 1 40); do
    kill -0 -- "$target" 2>/dev/null || break
    sleep 0.25
  done
  if kill -0 -- "$target" 2>/dev/null; then
    log "still alive after 10 s; SIGKILL"
    kill -KILL -- "$target" 2>/dev/null || true
  fi
  rm -f "$PIDFILE"
  log "server stopped"
}

# ---------------------------------------------------------------- seed
seed() {
  log "seeding ${*:-all scenarios} (fresh payments)"
  local t=$(date +%s)
  SEED_OUTPUT="$SEED_JSON" medusa exec ./src/scripts/seed-payment.ts "$@" > "$STATE/seed.log" 2>&1 \
    || { tail -40 "$STATE/seed.log" >&2; die "seed failed (full log: $STATE/seed.log)"; }
  log "seeded in $(( $(date +%s) - t )) s -> ${SEED_JSON#$ROOT/}"
  node -e '
    const s = require(process.argv[1]);
    for (const [k, v] of Object.entries(s)) {
      if (!/^[A-Z]$/.test(k)) continue;
      if (v.error) { console.log(`  ${k}  SKIPPED: ${v.error}`); continue; }
      console.log(`  ${k}  ${v.payment_id}  ${String(v.amount).padStart(5)} ${v.currency_code}  ${v.state.padEnd(28)} order=${v.order_id ?? "-"}`);
    }
    const rr = s.refund_reasons, std = ["shipping_issue", "pricing_error", "customer_care_adjustment"];
    const shown = rr.filter(r => std.includes(r.code));
    console.log(`  refund_reasons: ${rr.length} (${shown.map(r => r.code + "=" + r.id).join(" ")}${rr.length > shown.length ? ` +${rr.length - shown.length} others` : ""})`);
    console.log(`  admin_user_id: ${s.admin_user_id}`);
  ' "$SEED_JSON"
}

# ---------------------------------------------------------------- commands
with_lock() {
  mkdir -p "$STATE"
  exec 9> "$STATE/.lock"
  flock -w 300 9 || die "lock $STATE/.lock held for 300 s by pid(s): $(fuser "$STATE/.lock" 2>/dev/null | tr -s " ")"
}

cmd_up() {
  local do_seed=1
  for a in "$@"; do case "$a" in --no-seed) do_seed=0 ;; *) die "unknown option for up: $a" ;; esac; done
  with_lock
  ensure_pg_installed
  ensure_pg_running
  ensure_db
  ensure_node_modules
  write_env
  ensure_migrated
  ensure_admin
  start_server
  [ "$do_seed" = 1 ] && seed
  log "up: $BASE (admin $ADMIN_EMAIL / $ADMIN_PASSWORD)"
}

cmd_seed() {
  with_lock
  healthy || die "server is not up; run: scripts/real-backend.sh up"
  seed "$@"
}

cmd_down() {
  local all=0
  for a in "$@"; do case "$a" in --all) all=1 ;; *) die "unknown option for down: $a" ;; esac; done
  with_lock
  stop_server
  if [ "$all" = 1 ]; then
    local v; v="$(pg_version || true)"
    if [ -n "$v" ] && pg_ctlcluster "$v" main status >/dev/null 2>&1; then
      log "stopping PostgreSQL $v"
      as_root pg_ctlcluster "$v" main stop
    fi
  fi
}

cmd_status() {
  local v ok=0
  v="$(pg_version 2>/dev/null || true)"
  if [ -z "$v" ]; then echo "postgresql:   not installed"; ok=1
  elif pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; then echo "postgresql:   up ($v main, 127.0.0.1:$PG_PORT)"
  else echo "postgresql:   down ($v main)"; ok=1; fi
  if [ -n "$v" ] && pg_isready -q -h 127.0.0.1 -p "$PG_PORT" && dbq "select 1" >/dev/null 2>&1; then
    echo "database:     medusa reachable as medusa"
  else echo "database:     not reachable"; ok=1; fi
  if [ -x "$MEDUSA_BIN" ]; then
    if [ -f "$STATE/npm-ci.sha256" ] && [ "$(cat "$STATE/npm-ci.sha256")" = "$(lock_hash)" ]; then
      echo "node_modules: installed (matches package-lock.json)"
    else echo "node_modules: installed (lock changed or unknown: next up runs npm ci)"; fi
  else echo "node_modules: missing"; ok=1; fi
  local p
  if p="$(server_pid)"; then echo "server pid:   $p (pgid $(ps -o pgid= -p "$p" | tr -d ' '))"; else echo "server pid:   none"; fi
  if healthy; then echo "server:       up ($BASE/health -> OK)"; else echo "server:       down ($BASE)"; ok=1; fi
  if [ -f "$SEED_JSON" ]; then
    echo "seed:         ${SEED_JSON#$ROOT/} ($(node -e 'const s=require(process.argv[1]);console.log(Object.keys(s).filter(k=>/^[A-Z]$/.test(k)).join(" ")+" @ "+s.seeded_at)' "$SEED_JSON"))"
  else echo "seed:         none"; fi
  return $ok
}

case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  down|stop) shift; cmd_down "$@" ;;
  seed) shift; cmd_seed "$@" ;;
  status) shift; cmd_status ;;
  logs) tail -n "${2:-60}" "$LOG" ;;
  *) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
