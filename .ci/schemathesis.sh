#!/usr/bin/env bash
# Conformance of carbonext-sandbox to openapi.yaml: starts the sandbox binary on a free port
# (deterministic mode), takes a token with its seeded credentials, and runs schemathesis
# against every operation of the spec. Bounded: a few minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION="4.32.5"
MAX_EXAMPLES="${SCHEMATHESIS_MAX_EXAMPLES:-30}"

target_dir="$(cargo metadata --format-version 1 --no-deps \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
venv="$target_dir/schemathesis-venv"
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --no-cache-dir --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

cargo build --quiet -p carbonext-sandbox --bin carbonext-sandbox

workdir="$(mktemp -d)"
"$target_dir/debug/carbonext-sandbox" --port 0 --deterministic --print-credentials-json \
  >"$workdir/credentials.json" 2>"$workdir/sandbox.log" &
sandbox_pid=$!
cleanup() {
  kill "$sandbox_pid" 2>/dev/null || true
  wait "$sandbox_pid" 2>/dev/null || true
  rm -rf "$workdir"
}
trap cleanup EXIT

for _ in $(seq 1 100); do
  [ -s "$workdir/credentials.json" ] && break
  sleep 0.1
done
if [ ! -s "$workdir/credentials.json" ]; then
  echo "the sandbox did not start:" >&2
  cat "$workdir/sandbox.log" >&2
  exit 1
fi

read -r api_url token < <(python3 - "$workdir/credentials.json" <<'PY'
import json, sys, urllib.parse, urllib.request
info = json.load(open(sys.argv[1]))
form = urllib.parse.urlencode({
    "grant_type": "client_credentials",
    "client_id": info["clientId"],
    "client_secret": info["clientSecret"],
}).encode()
with urllib.request.urlopen(info["tokenUrl"], data=form, timeout=10) as response:
    token = json.load(response)["access_token"]
print(info["apiUrl"], token)
PY
)

"$venv/bin/schemathesis" run openapi.yaml \
  --url "$api_url" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance,negative_data_rejection \
  --phases examples,coverage,fuzzing,stateful \
  --max-examples "$MAX_EXAMPLES" \
  --seed 20240115 \
  --workers 2 \
  --request-timeout 10 \
  --no-color \
  --warnings off
