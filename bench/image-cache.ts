/**
 * Image-cache benchmark (issue 10 part 2; not a test): a cache hit from a loopback registry
 * against a build of the same Debian container, both as a second user, one run each.
 *
 *   user A (the e2e harness's user) builds `deb` (!Debian bookworm + !Install [python3] +
 *   a !Text) and pushes it with `vagga _push_image deb` to docker-registry on 127.0.0.1;
 *   user B (vagga-e2e7, its own cache dir), timed:
 *     cold:   `vagga --no-image-download _build deb` in a copy of the project: B's first build
 *             (B's cache dir is emptied first: bootstrap, package downloads from the host's
 *             mirror, every step run: what a second machine pays);
 *     build:  `vagga --no-image-download _build --no-cache deb` in a second copy, with B's
 *             download cache warm (every step runs, no network: the cheapest real build);
 *     hit:    `vagga _build deb` in a third copy (downloaded from the registry).
 *   Target (issue 10): hit <= 0.2 x build. The hit's index.txt must equal that of A's root
 *   (the one pushed); a separate build differs in logs, caches and timestamps.
 *
 * Usage (as root, like the e2e tests; needs dist/: node scripts/bundle.mjs):
 *   VAGGA_E2E_USER=vagga-e2e6 node --import tsx bench/image-cache.ts
 */
import { chownSync, cpSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cleanupStage, ensureUser, makeProject, show, vagga, type VaggaOptions } from '../test/e2e/harness.js';
import { startRegistry } from '../test/e2e/registry.js';

const SECOND_USER = process.env.VAGGA_E2E_USER2 ?? 'vagga-e2e7';

const yaml = (host: string) => `
containers:
  deb:
    image-cache-url: docker://${host}/bench/\${container_name}:\${short_hash}
    setup:
    - !Debian bookworm
    - !Install [python3]
    - !Text { /etc/bench: "image cache\\n" }
`;

async function run(dir: string, args: string[], opts: VaggaOptions = {}): Promise<{ ms: number; stderr: string }> {
  const r = await vagga(dir, args, { timeoutMs: 3_600_000, ...opts });
  if (r.status !== 0) throw new Error(`vagga ${args.join(' ')} failed: ${show(r)}`);
  return { ms: r.ms, stderr: r.stderr };
}

function indexOf(dir: string): string {
  return readFileSync(join(dirname(realpathSync(join(dir, '.vagga', 'deb'))), 'index.txt'), 'utf8');
}

async function main(): Promise<void> {
  const reg = await startRegistry();
  try {
    const dir = await makeProject({ 'vagga.yaml': yaml(reg.host) }, { busybox: false, name: 'bench-imgcache' });
    process.stderr.write('user A: build (untimed) and push\n');
    await run(dir, ['--no-image-download', '_build', 'deb']);
    const push = await run(dir, ['_push_image', 'deb']);
    process.stderr.write(push.stderr);

    const who = { user: SECOND_USER, ...(await ensureUser(SECOND_USER)) };
    const copy = (suffix: string) => {
      const dest = `${dir}-${suffix}`;
      cpSync(join(dir, 'vagga.yaml'), join(dest, 'vagga.yaml'));
      chownSync(dest, who.uid, who.gid);
      for (const e of readdirSync(dest)) chownSync(join(dest, e), who.uid, who.gid);
      return dest;
    };
    // B's first build must be a first build: no download cache, no build-cache layers left
    // by an earlier run of this benchmark (B is the benchmark's own user).
    rmSync(`/var/tmp/vagga-e2e-cache-${who.user}`, { recursive: true, force: true });
    process.stderr.write(`user B (${who.user}): first build (fills B's download cache)\n`);
    const cold = await run(copy('warm'), ['--no-image-download', '_build', 'deb'], { asUser: who });
    const buildDir = copy('build');
    const build = await run(buildDir, ['--no-image-download', '_build', '--no-cache', 'deb'], { asUser: who });
    const hitDir = copy('hit');
    const hit = await run(hitDir, ['_build', 'deb'], { asUser: who });
    if (/^Step /m.test(hit.stderr) || !/downloaded in/.test(hit.stderr)) throw new Error(`the hit built something:\n${hit.stderr}`);
    const same = indexOf(hitDir) === indexOf(dir);
    const entries = indexOf(hitDir).split('\n').length - 2;
    const lines = (d: string) => new Set(indexOf(d).split('\n'));
    const differing = [...lines(buildDir)].filter((l) => !lines(hitDir).has(l)).length;
    console.log(`push (A, export + upload): ${(push.ms / 1000).toFixed(1)} s`);
    console.log(`first build (B, cold download cache, host mirror): ${(cold.ms / 1000).toFixed(1)} s`);
    console.log(`build (B, --no-cache, warm download cache): ${(build.ms / 1000).toFixed(1)} s`);
    console.log(`cache hit (B, from the registry): ${(hit.ms / 1000).toFixed(1)} s`);
    console.log(`ratio hit/first build: ${(hit.ms / cold.ms).toFixed(3)}; hit/warm build: ${(hit.ms / build.ms).toFixed(3)} (target <= 0.2)`);
    const timings = readFileSync(join(dirname(realpathSync(join(hitDir, '.vagga', 'deb'))), 'timings.log'), 'utf8');
    console.log(`cache hit's timings.log:\n${timings.trimEnd()}`);
    console.log(`hit root equal to A's pushed root by index.txt (${entries} entries): ${same}`);
    console.log(`index lines of B's own build not in the hit (rebuilds differ: logs, caches): ${differing}`);
    if (!same) {
      const a = lines(dir);
      const h = lines(hitDir);
      for (const l of [...a].filter((x) => !h.has(x)).slice(0, 10)) console.log(`  only in A's index: ${l}`);
      for (const l of [...h].filter((x) => !a.has(x)).slice(0, 10)) console.log(`  only in the hit's: ${l}`);
    }
  } finally {
    await reg.stop();
    await cleanupStage();
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
