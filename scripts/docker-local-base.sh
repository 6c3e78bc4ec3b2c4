#!/bin/sh
# Makes the two base images the Dockerfile needs without a public image registry (an offline or
# firewalled build machine, or this project's test sandbox): a Debian bookworm root made with
# debootstrap from the apt mirror, plus this machine's own `node` binary (and npm for the build
# stage). The images are tagged under local names, and the Dockerfile takes them as build args:
#   sudo scripts/docker-local-base.sh
#   docker build --network host \
#     --build-arg NODE_IMAGE=sogs-local-base:build --build-arg NODE_SLIM_IMAGE=sogs-local-base:slim -t sogs .
# With registry access none of this is needed: the defaults are the official node images.
# Runs as root (debootstrap); needs debootstrap, a docker engine and node/npm on PATH. Idempotent:
# an image that already exists is kept unless SOGS_BASE_REBUILD=1.
set -eu

MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SLIM=${SOGS_BASE_SLIM:-sogs-local-base:slim}
BUILD=${SOGS_BASE_BUILD:-sogs-local-base:build}
node_bin=$(command -v node)
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")   # .../node_modules/npm

have() { [ "${SOGS_BASE_REBUILD:-0}" != 1 ] && docker image inspect "$1" >/dev/null 2>&1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! have "$SLIM"; then
  # minbase: the Essential packages (util-linux brings setpriv, which the entrypoint uses) and apt.
  debootstrap --variant=minbase bookworm "$work/root" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  install -m 0755 "$node_bin" "$work/root/usr/local/bin/node"
  # The official node images have the user `node` (uid/gid 1000) that the Dockerfile switches to.
  chroot "$work/root" sh -c 'groupadd -g 1000 node && useradd -u 1000 -g node -s /bin/sh -m node'
  rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"*
  tar -C "$work/root" -c . | docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'CMD ["node"]' - "$SLIM" >/dev/null
  echo "made $SLIM"
fi

if ! have "$BUILD"; then
  # The build stage: npm and a C++ toolchain (better-sqlite3 compiles from source when its
  # prebuilt binary cannot be downloaded, as without GitHub access).
  # The machine's extra CAs (a TLS-inspecting proxy's) go in too, so npm and apt trust what the
  # host trusts; node-gyp gets the node headers from here instead of downloading them.
  mkdir -p "$work/ctx/ca" "$work/ctx/include"
  cp -a "$npm_dir" "$work/ctx/npm"
  for c in "${SOGS_BASE_CA_DIR:-/usr/local/share/ca-certificates}"/*.crt; do [ -f "$c" ] && cp "$c" "$work/ctx/ca/"; done
  node_include=$(dirname "$(dirname "$node_bin")")/include/node
  [ -d "$node_include" ] && cp -a "$node_include" "$work/ctx/include/node"
  cat >"$work/ctx/Dockerfile" <<DOCKERFILE
FROM $SLIM
COPY npm /usr/local/lib/node_modules/npm
COPY ca /usr/local/share/ca-certificates/
COPY include /usr/local/include/
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt npm_config_nodedir=/usr/local
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates python3 make g++ \\
 && update-ca-certificates \\
 && rm -rf /var/lib/apt/lists/*
DOCKERFILE
  DOCKER_BUILDKIT=0 docker build -q --network host -t "$BUILD" "$work/ctx" >/dev/null
  echo "made $BUILD"
fi
