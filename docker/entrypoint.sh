#!/bin/sh
# Start sequence of the sogs image (also runnable outside Docker, e.g. by the tests):
#   - options come from SOGS_* environment variables (SOGS_PORT, SOGS_BASE_URL, ...) and from a
#     sogs.ini in the data folder, as for a plain `sogs`; the data folder is picked by
#     docker/sogs-env.sh (/data, or the seed's /session-open-group-server/target/release/data);
#   - started as root (the image's default), it gives the data folder to SOGS_USER (`node`) and
#     drops to it with setpriv before anything else runs; started as another user it just runs;
#   - the server key, database and default room are created by the server itself inside the data
#     folder on first start (never at image build time, where a mounted volume would hide them);
#   - `exec` makes node PID 1, so `docker stop` (SIGTERM) reaches it and shuts it down gracefully.
# Arguments starting with '-' are passed to sogs; `sogs ...` runs the image's sogs command (as
# SOGS_USER, imports as root: see docker/sogs); any other command (e.g. `sh`) is run as is.
set -eu

here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
. "$here/sogs-env.sh"

if [ "$#" -gt 0 ]; then
  case "$1" in
    sogs|session-open-group-server) shift; exec "$here/sogs" "$@" ;;
    -*) ;;
    *) exec "$@" ;;
  esac
fi

# The seed's folder may hold the data of the legacy (Rust) server that the seed's image ran: the
# new server would start beside it with a new key. Refuse and say how to import it instead.
if [ -f "$SOGS_DATA_DIR/database.db" ] && [ ! -e "$SOGS_DATA_DIR/sogs.db" ] && [ ! -e "$SOGS_DATA_DIR/key_x25519" ]; then
  echo "sogs: $SOGS_DATA_DIR holds a legacy server's data (database.db), not this server's." \
       "Import it into a new volume instead (it is only read):" \
       "docker run --rm -v HOST_FOLDER:/old:ro -v sogs-data:/data sogs sogs --import-legacy /old" >&2
  exit 1
fi

sogs_own_data
if [ "$(id -u)" != 0 ] || [ -z "${SOGS_USER:-}" ]; then
  mkdir -p "$SOGS_DATA_DIR" 2>/dev/null || true
  if [ ! -w "$SOGS_DATA_DIR" ]; then
    echo "sogs: data folder $SOGS_DATA_DIR is not writable by uid $(id -u); fix the volume's owner" \
         "(e.g. chown -R $(id -u):$(id -g) on the host folder) or use a named volume" >&2
    exit 1
  fi
fi
echo "sogs: data folder $SOGS_DATA_DIR" >&2
exec "$here/sogs" "$@"
