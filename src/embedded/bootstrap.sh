#!/bin/sh
# Installs what `npm start` and `npm test` need on a fresh machine, and nothing when it is already there:
# npm dependencies (when the lockfile changed), the Debian packages the embedded services run on, and a
# check that Go is present (the FerretDB binary itself is built by src/embedded/ferretdb.ts on first use).
# Production deployments that set MONGODB_URI and REDIS_URL still run it; it only installs, never starts.
set -eu

cd "$(dirname "$0")/../.."

say() { printf '[bootstrap] %s\n' "$*" >&2; }

lock_stamp() { sha256sum package-lock.json | cut -d' ' -f1; }

if [ ! -f node_modules/.bootstrap-stamp ] || [ "$(cat node_modules/.bootstrap-stamp)" != "$(lock_stamp)" ]; then
  say "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund
  lock_stamp > node_modules/.bootstrap-stamp
fi

# Debian packages: redis-server for the embedded Redis; dovecot-imapd for the real IMAP server in tests.
missing=""
command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || missing="$missing redis-server"
if [ "${CI:-}" = "true" ] || [ "${npm_lifecycle_event:-}" = "pretest" ]; then
  [ -x /usr/sbin/dovecot ] || missing="$missing dovecot-imapd"
fi

if [ -n "$missing" ] && [ -z "${MONGODB_URI:-}${REDIS_URL:-}" ]; then
  if [ "$(id -u)" = "0" ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; else sudo="none"; fi
  if [ "$sudo" = "none" ] || ! command -v apt-get >/dev/null 2>&1; then
    say "missing Debian packages:$missing — install them (apt-get install$missing) or set MONGODB_URI and REDIS_URL"
    exit 1
  fi
  say "installing Debian packages:$missing"
  # Debian's postinst would start system-wide daemons; the project starts its own instances instead.
  printf '#!/bin/sh\nexit 101\n' > /tmp/mcc-policy-rc.d && chmod +x /tmp/mcc-policy-rc.d
  policy_installed=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then $sudo cp /tmp/mcc-policy-rc.d /usr/sbin/policy-rc.d && policy_installed=1; fi
  if ! $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing >/tmp/mcc-apt.log 2>&1; then
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update >/tmp/mcc-apt.log 2>&1 || true
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing >>/tmp/mcc-apt.log 2>&1 || {
      [ -n "$policy_installed" ] && $sudo rm -f /usr/sbin/policy-rc.d
      say "apt-get install$missing failed; see /tmp/mcc-apt.log"
      tail -n 20 /tmp/mcc-apt.log >&2
      exit 1
    }
  fi
  [ -n "$policy_installed" ] && $sudo rm -f /usr/sbin/policy-rc.d
fi

if [ -z "${MONGODB_URI:-}" ] && ! command -v go >/dev/null 2>&1; then
  say "Go is not installed: it is needed once to build the embedded FerretDB store. Install Go >= 1.24 (apt-get install golang-go) or set MONGODB_URI."
  exit 1
fi
