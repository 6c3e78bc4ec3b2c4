# Sourced by docker/entrypoint.sh and docker/sogs (the `sogs` command of the image), so the server
# and `docker exec sogs sogs ...` always agree on the data folder:
#   - SOGS_DATA_DIR when set (-e SOGS_DATA_DIR=...);
#   - else the seed's path /session-open-group-server/target/release/data when something is mounted
#     there (`-v ./session-open-group-data:/session-open-group-server/target/release/data`): the
#     image does not contain that folder, so it exists only as a mount point;
#   - else /data (the named volume `sogs-data`).
# SOGS_SEED_DATA_DIR overrides the seed's path (for the tests, which run this outside Docker).
# shellcheck shell=sh
if [ -z "${SOGS_DATA_DIR:-}" ]; then
  seed_data=${SOGS_SEED_DATA_DIR:-/session-open-group-server/target/release/data}
  if [ -d "$seed_data" ]; then
    SOGS_DATA_DIR=$seed_data
  else
    SOGS_DATA_DIR=/data
  fi
fi
export SOGS_DATA_DIR

# Runs "$@" as SOGS_USER (the image sets `node`) when started as root, else as is. Root keeps no
# capability after setpriv (a change from uid 0 to another uid clears them all).
sogs_drop() {
  if [ "$(id -u)" = 0 ] && [ -n "${SOGS_USER:-}" ]; then
    exec setpriv --reuid="$SOGS_USER" --regid="$(id -g "$SOGS_USER")" --init-groups --inh-caps=-all -- "$@"
  fi
  exec "$@"
}

# Gives the data folder, and whatever in it is owned by someone else (files left by a run as root,
# a fresh host folder), to SOGS_USER. Only entries with the wrong owner are changed.
sogs_own_data() {
  if [ "$(id -u)" = 0 ] && [ -n "${SOGS_USER:-}" ]; then
    mkdir -p "$SOGS_DATA_DIR"
    find "$SOGS_DATA_DIR" -xdev \( ! -user "$SOGS_USER" -o ! -group "$(id -gn "$SOGS_USER")" \) \
      -exec chown -h "$SOGS_USER:$(id -gn "$SOGS_USER")" {} +
  fi
}
