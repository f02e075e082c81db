/**
 * A throw-away OCI registry for end-to-end tests: Debian's `docker-registry` (CNCF
 * distribution) run as the harness's test user on 127.0.0.1 at a free port, storing into a
 * fresh directory of the stage dir (shared/reference/layers-and-images.md Part B §1). It
 * speaks plain HTTP, so clients need `--tls-verify=false` (skopeo) or vagga's loopback rule.
 *
 *   const reg = await startRegistry();
 *   // skopeo copy --dest-tls-verify=false oci:DIR:TAG docker://127.0.0.1:${reg.port}/REPO:TAG
 *   await reg.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { e2eEnv } from './harness.js';
import { freePort } from './fixtures.js';

/** A running registry. */
export interface Registry {
  /** Base URL, `http://127.0.0.1:PORT`. */
  url: string;
  port: number;
  /** `127.0.0.1:PORT`, for `docker://` references. */
  host: string;
  /** The filesystem storage root (`docker/registry/v2/...` below it): tests may tamper with blobs. */
  dataDir: string;
  /** Stop the registry (SIGTERM, then SIGKILL after 5 s) and delete its storage. */
  stop(): Promise<void>;
}

/** The registry config: storage and address come from the environment; no auth, quiet log. */
const CONFIG = `version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: /nonexistent
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:5000
`;

function exited(child: ChildProcess): Promise<void> {
  return new Promise((r) => {
    if (child.exitCode !== null || child.signalCode !== null) r();
    else child.once('exit', () => r());
  });
}

/** Poll `GET /v2/` until it answers 200; false when the process exits first or after 10 s. */
async function ready(url: string, child: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
    try {
      const r = await fetch(`${url}/v2/`);
      if (r.status === 200) return true;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

/**
 * Start `/usr/bin/docker-registry serve` as the e2e test user (through setpriv when the
 * suite runs as root) on 127.0.0.1 at a free port, and wait until `/v2/` answers. Tries
 * three ports (another process may take a free port first). Rejects with the registry's
 * output when it does not come up (e.g. the docker-registry package is missing).
 */
export async function startRegistry(): Promise<Registry> {
  const env = await e2eEnv();
  const dir = mkdtempSync(join(env.stageDir, 'registry-'));
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir);
  writeFileSync(join(dir, 'config.yml'), CONFIG);
  if (env.asRoot) for (const p of [dir, dataDir, join(dir, 'config.yml')]) chownSync(p, env.uid, env.gid);
  let output = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const argv = ['/usr/bin/docker-registry', 'serve', join(dir, 'config.yml')];
    const [cmd, args] = env.asRoot
      ? ['setpriv', ['--reuid', String(env.uid), '--regid', String(env.gid), '--init-groups', '--pdeathsig', 'KILL', '--', ...argv]]
      : [argv[0]!, argv.slice(1)];
    const child = spawn(cmd, args, {
      env: {
        PATH: '/usr/bin:/bin',
        HOME: dir,
        REGISTRY_HTTP_ADDR: `127.0.0.1:${port}`,
        REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: dataDir,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (b) => { output += b; });
    child.stderr!.on('data', (b) => { output += b; });
    child.on('error', (e) => { output += `${e.message}\n`; });
    const url = `http://127.0.0.1:${port}`;
    if (await ready(url, child)) {
      return {
        url, port, host: `127.0.0.1:${port}`, dataDir,
        async stop() {
          child.kill('SIGTERM');
          const t = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exited(child);
          clearTimeout(t);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    child.kill('SIGKILL');
    await exited(child);
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`docker-registry did not start (is the Debian package docker-registry installed?):\n${output}`);
}
