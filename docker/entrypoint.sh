#!/bin/sh
# Start sequence of the sogs image (also runnable outside Docker, e.g. by the tests):
#   - options come from SOGS_* environment variables (SOGS_DATA_DIR, SOGS_PORT, SOGS_BASE_URL, ...)
#     and from a sogs.ini in the data folder, as for a plain `sogs`;
#   - the server key, database and default room are created by the server itself inside the data
#     folder on first start (never at image build time, where a mounted volume would hide them);
#   - `exec` makes node PID 1, so `docker stop` (SIGTERM) reaches it and shuts it down gracefully.
# Arguments starting with '-' are passed to sogs; any other command (e.g. `sh`) is run as is.
set -eu

here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
SOGS_BIN=${SOGS_BIN:-"$here/../bin/sogs.js"}
export SOGS_DATA_DIR="${SOGS_DATA_DIR:-/data}"

if [ "$#" -gt 0 ] && [ "${1#-}" = "$1" ]; then
  exec "$@"
fi

mkdir -p "$SOGS_DATA_DIR" 2>/dev/null || true
if [ ! -w "$SOGS_DATA_DIR" ]; then
  echo "sogs: data folder $SOGS_DATA_DIR is not writable by uid $(id -u); fix the volume's owner" \
       "(e.g. chown -R $(id -u):$(id -g) on the host folder) or use a named volume" >&2
  exit 1
fi

exec node "$SOGS_BIN" "$@"
