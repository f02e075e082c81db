/**
 * A throw-away registry for the image-cache end-to-end tests (image-cache.test.ts): Debian's
 * `docker-registry` run as the harness's test user on 127.0.0.1 at a free port, storing
 * into a fresh directory of the stage dir (layers-and-images.md Part B §1). Plain HTTP:
 * vagga speaks it to loopback hosts. `dataDir` lets a test tamper with stored blobs.
 * (The same interface as test/e2e/registry.ts of the OCI-base work; one of them can go.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './fixtures.js';
import { e2eEnv } from './harness.js';

/** A running registry. */
export interface RegistryServer {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  port: number;
  /** `127.0.0.1:PORT`, for `docker://` references. */
  host: string;
  /** The filesystem storage root (`docker/registry/v2/...` below it). */
  dataDir: string;
  /** SIGTERM (SIGKILL after 5 s), then delete the storage. */
  stop(): Promise<void>;
}

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
  return new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));
}

/** Start the registry (three port attempts) and wait for `GET /v2/` to answer 200. */
export async function startRegistryServer(): Promise<RegistryServer> {
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
      env: { PATH: '/usr/bin:/bin', HOME: dir, REGISTRY_HTTP_ADDR: `127.0.0.1:${port}`, REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (b) => { output += b; });
    child.stderr!.on('data', (b) => { output += b; });
    child.on('error', (e) => { output += `${e.message}\n`; });
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
      try {
        if ((await fetch(`${url}/v2/`)).status === 200) {
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
      } catch { /* not listening yet */ }
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    await exited(child);
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`docker-registry did not start (is the Debian package docker-registry installed?):\n${output}`);
}
