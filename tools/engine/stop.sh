#!/usr/bin/env bash
# Stop everything tools/engine/start.sh started (same ORBMAG_ENGINE_DIR); the data stay for the next start.
set -euo pipefail
exec "$(dirname "$0")/start.sh" stop
