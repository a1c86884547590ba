#!/usr/bin/env bash
# The web page in headless Chromium and the HTTP API under schemathesis, against a
# `tokenfit serve` on an ephemeral loopback port. Installs what it needs (Debian chromium,
# npm playwright-core in tests/web/node_modules, PyPI schemathesis). Writes docs/img/web.png.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
web=$root/tests/web
out=$web/out
mkdir -p "$out" "$root/docs/img"

bin=${TOKENFIT_BIN:-$root/target/debug/tokenfit}
if [ ! -x "$bin" ]; then
  cargo build --quiet
fi

# Tools.
if [ ! -x /usr/bin/chromium ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
if [ ! -d "$web/node_modules/playwright-core" ]; then
  (cd "$web" && npm install --no-audit --no-fund --loglevel=error)
fi
if ! command -v schemathesis >/dev/null; then
  python3 -m pip install --quiet --root-user-action=ignore schemathesis
  hash -r
fi

# A server without the runner's databases or saved machine.
export TOKENFIT_CONFIG_DIR=$out/config
unset TOKENFIT_DB
"$bin" serve --port 0 >"$out/serve.log" 2>"$out/serve.err" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
url=
for _ in $(seq 100); do
  url=$(grep -o 'http://[0-9.:]*/' "$out/serve.log" | head -n1 || true)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { echo "the server did not start:"; cat "$out/serve.err"; exit 1; }
echo "server: $url"

echo "== browser (headless Chromium)"
node "$web/browser.mjs" "$url" "$root/docs/img/web.png" "$out/web-phone.png"

echo "== schemathesis against ${url}api/openapi.json"
# Run from out/ so schemathesis keeps its cache there (ignored), not in the repository.
cd "$out"
schemathesis run "${url}api/openapi.json" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --max-examples "${SCHEMATHESIS_EXAMPLES:-25}" \
  --seed 1 \
  --no-color
