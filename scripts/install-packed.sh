#!/bin/sh
# Installs the service the way it ships: the built checkout packed with `npm pack`, then that tarball
# installed with its runtime dependencies only (no dev dependencies) into PREFIX. The Dockerfile runs
# exactly this, and test/package/packed-install.test.ts runs it and starts the installed command.
# Usage, at the repository root after `npm ci` (which builds dist/): scripts/install-packed.sh PREFIX
# Then: PREFIX/node_modules/.bin/perkville-destination serve …
set -eu
prefix=$1
mkdir -p "$prefix"
# dist/ is already built by npm ci's prepare; packing must not build again.
tarball=$(npm pack --ignore-scripts --silent --pack-destination "$prefix" | tail -n 1)
npm install --prefix "$prefix" --omit=dev --no-audit --no-fund --no-package-lock "$prefix/$tarball"
rm -f "$prefix/$tarball"
