#!/bin/sh
# Removes from production node_modules what the image never loads at run time (about 45 MB):
#   - sodium-native's prebuilt addons for other platforms (it loads prebuilds/<platform>-<arch>/);
#   - better-sqlite3's build leftovers: the bundled SQLite sources (deps/), its C++ sources (src/),
#     object files and the static library; it loads build/Release/better_sqlite3.node only;
#   - documentation, TypeScript declarations and source maps of dependencies.
# Usage: trim-node-modules.sh NODE_MODULES_DIR   (run after `npm prune --omit=dev`)
set -eu
nm=$(cd "${1:?node_modules folder}" && pwd)
here=$(node -p 'process.platform + "-" + process.arch')

if [ -d "$nm/sodium-native/prebuilds" ]; then
  for d in "$nm/sodium-native/prebuilds/"*; do
    [ "$(basename "$d")" = "$here" ] || rm -rf "$d"
  done
fi

b="$nm/better-sqlite3"
if [ -f "$b/build/Release/better_sqlite3.node" ]; then
  rm -rf "$b/deps" "$b/src" "$b/binding.gyp" "$b/build/deps" "$b/build/Release/obj" \
    "$b/build/Release/obj.target" "$b/build/Release/.deps" "$b/build/Release/test_extension.node" \
    "$b/build/Release/sqlite3.a" "$b/build/Makefile" "$b/build/"*.mk "$b/build/config.gypi"
fi

find "$nm" -type f \( -name '*.md' -o -name '*.markdown' -o -name '*.d.ts' -o -name '*.d.mts' \
  -o -name '*.d.cts' -o -name '*.map' -o -name '*.ts.map' \) -delete
# A smoke test of what is left: both native addons still load.
node -e "require('$nm/better-sqlite3')(':memory:').prepare('select 1').get(); require('$nm/sodium-native')"
