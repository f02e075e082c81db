#!/usr/bin/env node
/**
 * `npm run bench`: start-up benchmark (not a test). Runs bench/startup.ts under tsx so it can
 * reuse the end-to-end harness (ordinary user, staged bundle, busybox base). Arguments are
 * passed through (`--runs N`, `--warmup N`, `--rounds N`, `--env clean|caller|both`, `--breakdown`, `--no-podman`, `--bun PATH`; see
 * bench/startup.ts). Needs dist/ (npm run build) and hyperfine.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'startup.ts'), ...process.argv.slice(2)], {
  stdio: 'inherit',
  cwd: join(here, '..'),
});
process.exitCode = r.status ?? 1;
