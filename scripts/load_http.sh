#!/usr/bin/env bash
# Read-path load against a running `shopclerk serve` (start it with rate limiting off:
# a config with `[server] rate_limit_per_minute = 0`): 50 concurrent connections for 20 s each
# on recommendations and on search, with wrk (Debian package `wrk`). Prints wrk's latency
# distribution (p50/p90/p99) and requests/s.
#
#   scripts/load_http.sh http://127.0.0.1:8080 B07JW9H4J1
set -euo pipefail
base="${1:-http://127.0.0.1:8080}"
item="${2:-B07JW9H4J1}"
duration="${DURATION:-20s}"
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
curl -fsS "$base/readyz" >/dev/null || { echo "$base is not ready" >&2; exit 1; }
echo "== recommendations: GET /v1/products/$item/recommendations?kind=both&limit=3"
wrk -t2 -c50 -d"$duration" --latency "$base/v1/products/$item/recommendations?kind=both&limit=3"
echo "== search: GET /v1/products/search?q=usb+c+cable&limit=10"
wrk -t2 -c50 -d"$duration" --latency "$base/v1/products/search?q=usb+c+cable&limit=10"
