/**
 * `!VaggaBin` (vagga-inventory.md §1.5): finds the host files of the self-contained vagga that
 * mounts/volumes-vagga-bin.ts mounts: the running bundle's directory, the JavaScript runtime
 * (the real file of process.execPath), its shared libraries and the host's dynamic loader,
 * listed by the host's `ldd` (Debian package libc-bin). Found once per process.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { basename } from 'node:path';
import { VAGGA_BIN_ENTRY, type VaggaBinInput, type VaggaBinLib } from '../../mounts/volumes-vagga-bin.js';
import type { VolumeRuntime } from './kind.js';

/** What one `ldd` output says: the loader, the libraries, and the names it did not find. */
export interface LddListing {
  /** The ELF interpreter's path as the binary names it (e.g. /lib64/ld-linux-x86-64.so.2). */
  loader?: string;
  /** soname -> host path, as resolved by the loader. */
  libs: Array<{ name: string; path: string }>;
  /** sonames reported `not found`. */
  notFound: string[];
}

/**
 * Parse glibc `ldd` output (one line per object): `NAME => PATH (0x...)` is a library,
 * `NAME => not found` a missing one, `/ABS/PATH (0x...)` (or `/ABS/PATH => PATH (0x...)`)
 * the loader, and lines without a path (`linux-vdso.so.1 (0x...)`) are skipped. Pure.
 */
export function parseLdd(output: string): LddListing {
  const out: LddListing = { libs: [], notFound: [] };
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    const arrow = /^(\S+) => (.*?)(?: \(0x[0-9a-f]+\))?$/.exec(line);
    if (arrow) {
      const [, name, target] = arrow as unknown as [string, string, string];
      if (target === 'not found') out.notFound.push(name);
      else if (name.startsWith('/')) out.loader = name;
      else if (target.startsWith('/')) out.libs.push({ name, path: target });
      continue;
    }
    const bare = /^(\/\S+) \(0x[0-9a-f]+\)$/.exec(line);
    if (bare) out.loader = bare[1];
  }
  return out;
}

/** The host tools and locations vaggaBinFiles uses; tests replace them. */
export interface VaggaBinHost {
  /** Host directory of the running bundle; throws when vagga runs from its sources. */
  bundleDir(): string;
  /** Path of the running JavaScript runtime (process.execPath). */
  runtime: string;
  /** `ldd PATH`: its exit status, stdout and stderr, or undefined when ldd is not installed. */
  ldd(path: string): { status: number | null; stdout: string; stderr: string } | undefined;
}

async function defaultHost(): Promise<VaggaBinHost> {
  const [{ bundleLocation }, { findInDirs, searchDirs }] = await Promise.all([
    import('../../builder/bundle-path.js'),
    import('../../sandbox/tools.js'),
  ]);
  return {
    bundleDir() {
      try {
        return bundleLocation().dir;
      } catch (err) {
        if ((err as { code?: string }).code !== 'env.no-bundle') throw err;
        throw new Error('vagga runs from its TypeScript sources, not from the bundle (`npm run build` makes dist/vagga.cjs)');
      }
    },
    runtime: process.execPath,
    ldd(path) {
      const ldd = findInDirs('ldd', searchDirs(process.env.PATH));
      if (!ldd) return undefined;
      const r = spawnSync(ldd, [path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
    },
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The host files of the self-contained vagga, or `{ missing }` naming what this host lacks:
 * the bundle (vagga runs from its sources, or the bundle dir has no vagga.cjs), `ldd`, a
 * library the runtime needs, or a readable runtime. Symlinks are resolved (the real files are
 * bound under the names the runtime asks for). A runtime `ldd` calls `not a dynamic
 * executable` or `statically linked` is started without a loader. Never throws.
 */
export function vaggaBinFiles(host: VaggaBinHost): VaggaBinInput {
  let bundleDir: string;
  try {
    bundleDir = host.bundleDir();
  } catch (err) {
    return { missing: `the vagga bundle: ${errorText(err)}` };
  }
  if (!existsSync(`${bundleDir}/${VAGGA_BIN_ENTRY}`)) return { missing: `the bundle's ${VAGGA_BIN_ENTRY} (in ${bundleDir})` };
  let runtime: string;
  let bundleEntries: string[];
  try {
    runtime = realpathSync(host.runtime);
    bundleEntries = readdirSync(bundleDir);
  } catch (err) {
    return { missing: `a readable bundle and runtime: ${errorText(err)}` };
  }
  const r = host.ldd(runtime);
  if (!r) return { missing: 'the host\'s `ldd` (Debian package libc-bin), which lists the libraries of the JavaScript runtime' };
  const listing = parseLdd(r.stdout);
  if (listing.notFound.length > 0) return { missing: `the libraries ${listing.notFound.join(', ')} of ${runtime} (ldd: not found)` };
  if (listing.loader === undefined && listing.libs.length === 0 && /not a dynamic executable|statically linked/.test(r.stdout + r.stderr)) {
    return { bundleDir, bundleEntries, runtime, libs: [] };
  }
  if (r.status !== 0) return { missing: `a library listing of ${runtime} (ldd exited with ${r.status}: ${r.stderr.trim()})` };
  if (listing.loader === undefined) return { missing: `the dynamic loader of ${runtime} (ldd listed none)` };
  try {
    const loader: VaggaBinLib = { name: basename(listing.loader), source: realpathSync(listing.loader) };
    const libs = listing.libs
      .filter((l) => l.name !== loader.name)
      .map((l) => ({ name: l.name, source: realpathSync(l.path) }));
    return { bundleDir, bundleEntries, runtime, loader, libs };
  } catch (err) {
    return { missing: `a library of ${runtime}: ${errorText(err)}` };
  }
}

let found: Promise<VaggaBinInput> | undefined;

/** Finds the self-contained vagga's host files once per process (VolumeDeps.vaggaBin in tests); `{ missing }` lets the planner refuse the volume. */
export const vaggaBinVolumes: VolumeRuntime = {
  kinds: ['VaggaBin'],
  async prepare({ deps }) {
    if (deps.vaggaBin) return { planInput: { vaggaBin: deps.vaggaBin } };
    found ??= defaultHost().then(vaggaBinFiles);
    return { planInput: { vaggaBin: await found } };
  },
};
