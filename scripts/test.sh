#!/usr/bin/env bash
# The project's test command (`npm test`). Steps:
#   1. bundle:   node scripts/bundle.mjs (dist/ is what the end-to-end tests run);
#   2. one run of node's test runner (node --test, with tsx for TypeScript) over
#        scripts/typecheck.test.mjs   -- `npx tsc --noEmit -p .` must pass,
#        test/unit/**/*.test.ts       -- unit tests,
#        test/e2e/*.test.ts           -- end-to-end tests (run vagga as an ordinary user;
#                                        as root they create the user `vagga-e2e`).
# A single runner invocation gives one summary at the end (`# tests/pass/fail` lines with the
# TAP reporter CI sees, `ℹ tests ...` on a terminal) and a non-zero exit on any failure.
# Arguments, if given, replace the file list: `bash scripts/test.sh test/e2e/generic.test.ts`.
# Env: VAGGA_TEST_CONCURRENCY (files run in parallel; default 1, the e2e tests time signals),
#      VAGGA_E2E_KEEP=1 keeps the staged projects under /tmp/vagga-e2e-*.
set -uo pipefail
cd "$(dirname "$0")/.."
shopt -s globstar nullglob

echo "== bundle (node scripts/bundle.mjs)"
if ! node scripts/bundle.mjs; then
  echo "bundle FAILED: the bundle and end-to-end tests will fail" >&2
fi

if [ "$#" -gt 0 ]; then
  files=("$@")
else
  files=(scripts/typecheck.test.mjs test/unit/**/*.test.ts test/e2e/*.test.ts)
fi
echo "== tests (${#files[@]} files)"
exec node --import tsx --test --test-concurrency="${VAGGA_TEST_CONCURRENCY:-1}" "${files[@]}"
