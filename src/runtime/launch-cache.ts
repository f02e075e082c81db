/**
 * The launch cache (issue 12, the warm path): after a successful launch of `vagga CMD` or
 * `vagga _run C ...`, the full path writes one small *launch description* — the finished
 * sandbox spec (mounts, argv, environment, uid/gid map...) plus the validity key of every
 * input that decided it — and the next identical invocation (src/cli/warm-entry.ts) starts
 * the sandbox from it without loading the CLI, the YAML parser, the schemas or the steps.
 *
 * Where: `$XDG_CACHE_HOME/vagga/launch/<H>.json` (absolute XDG_CACHE_HOME only) or
 * `~/.cache/vagga/launch/<H>.json`, H a hash of uid, cwd and arguments: the user's own cache
 * dir, never the project (a project cannot plant a description). Written atomically (temp
 * file + rename), mode 0600; read only when owned by the user and not group/other-writable.
 *
 * What invalidates it (every item of the key; any difference is a miss, and the full path
 * then runs and writes it again):
 * - the exact arguments, the working directory and the uid;
 * - the whole environment (a hash of every variable: propagated variables, VAGGAENV_*,
 *   proxies, HOME, PATH, VAGGA_SETTINGS... any change at all), except the variables of
 *   VOLATILE_VARIABLES that the command does not get (see below); socket activation
 *   (LISTEN_FDS set) is never cached;
 * - size, mtime (ns) and inode of every config file read (`vagga.yaml`, mixins, includes), the
 *   project's settings files and implicit local mixins, the user's settings files, present
 *   or not; the absence of any config file between the working directory and the project
 *   root (a new `vagga.yaml` in a subdirectory makes another project);
 * - `.vagga/NAME` (inode and link target) of every container involved, the inode of its
 *   root directory, and the inode of `.vagga` itself;
 * - /etc/subuid and /etc/subgid (the uid/gid map), and the vagga scripts themselves
 *   (`dist/vagga.cjs` and `dist/vagga-main.cjs`: a new build of vagga);
 * - the project root's owner must be the user (so the owner check's warning is never skipped).
 * Not cached at all (the full path every time): `-m` and prerequisites, `!Supervise`,
 * containers whose version reads project files (`!Copy`, `!Depends`...), volumes that need
 * host work (`!Persistent`, `!Snapshot`, `!Container`...), `environ-file`, transient
 * writable roots, `pass-tcp-socket`, `expect-inotify-limit`, config warnings,
 * VAGGA_NO_LAUNCH_CACHE set, files modified less than 100 ms before the run started or during
 * it (racy edits), and a `.vagga/NAME` that no longer leads to the root the run used.
 *
 * No imports beyond node built-ins and types: this module is on the warm path.
 */
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, renameSync, rmSync, statSync, writeFileSync, openSync, fstatSync, closeSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { SandboxSpec } from '../sandbox/types.js';

/** Format of the description file; bump when its shape changes. */
export const LAUNCH_FORMAT = 1;
/** Set to any non-empty value to neither read nor write launch descriptions. */
export const NO_LAUNCH_CACHE_ENV = 'VAGGA_NO_LAUNCH_CACHE';
/** How many descriptions are kept (oldest by mtime deleted beyond this). */
export const KEEP_LAUNCHES = 64;

/** The sandbox spec as stored (JSON data only: no callbacks, no extra fds). */
export type StoredSpec = Omit<SandboxSpec, 'aroundSpawn' | 'extraFds'>;

/** One launch description (see the module comment). */
export interface LaunchDescription {
  format: number;
  uid: number;
  cwd: string;
  argv: string[];
  /** envHash of the environment, without `envIgnored`. */
  env: string;
  /** VOLATILE_VARIABLES present at the time and not in the command's environment. */
  envIgnored: string[];
  /** Input -> its state (`s:` stat, `i:` inode only, `l:` link); null when missing. */
  key: Record<string, string | null>;
  spec: StoredSpec;
  /** The container root, marked in use while the command runs (storage/in-use.ts). */
  rootfs: string;
  /** Printed on stdout after a zero exit (`epilog` of a !Command). */
  epilog?: string;
}

/** 53-bit string hash (cyrb53 style), as 14 hex digits; `seed` gives independent variants. Pure. */
export function hash53(text: string, seed = 0): string {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16).padStart(14, '0');
}

/**
 * Variables that change between otherwise identical invocations and that vagga never reads
 * itself: hyperfine's per-run HYPERFINE_RANDOMIZED_ENVIRONMENT_OFFSET, the shell's `_`,
 * OLDPWD and SHLVL. One present when a description is written and absent from the command's
 * environment (not propagated, which goes by name) is left out of its environment hash.
 */
export const VOLATILE_VARIABLES: readonly string[] = ['HYPERFINE_RANDOMIZED_ENVIRONMENT_OFFSET', '_', 'OLDPWD', 'SHLVL'];

/**
 * Hash of an environment (every name and value but those in `ignored`, order-independent),
 * 106 bits. Pure.
 */
export function envHash(env: NodeJS.ProcessEnv, ignored: readonly string[] = []): string {
  const text = Object.keys(env).filter((k) => !ignored.includes(k)).sort().map((k) => `${k}=${env[k] ?? ''}`).join('\0');
  return hash53(text, 1) + hash53(text, 2);
}

/** The description file for `argv` run in `cwd` by `uid`, under the cache dir of `env`. */
export function launchFile(argv: readonly string[], cwd: string, uid: number, env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CACHE_HOME?.startsWith('/') ? env.XDG_CACHE_HOME : join(env.HOME || homedir(), '.cache');
  const id = JSON.stringify([uid, cwd, argv]);
  return join(base, 'vagga', 'launch', `${hash53(id, 3)}${hash53(id, 4)}.json`);
}

/** The state of one key input (see LaunchDescription.key) now. Never throws. */
export function inputState(entry: string): string | null {
  const kind = entry.slice(0, 2);
  const path = entry.slice(2);
  try {
    if (kind === 's:') {
      const st = statSync(path, { bigint: true });
      return `${st.size}:${st.mtimeNs}:${st.ino}`;
    }
    if (kind === 'i:') return String(statSync(path, { bigint: true }).ino);
    if (kind === 'l:') return `${lstatSync(path, { bigint: true }).ino}:${readlinkSync(path)}`;
  } catch {
    return null;
  }
  return null;
}

/** The entries of `key` whose state differs now (empty: the description is valid). */
export function staleInputs(key: Record<string, string | null>): string[] {
  return Object.keys(key).filter((k) => inputState(k) !== key[k]);
}

/**
 * Read the description for this invocation; undefined when missing, not ours, malformed or
 * stale (any key input, the environment, the arguments or the cwd differ). Never throws.
 */
export function readLaunch(argv: readonly string[], cwd: string, env: NodeJS.ProcessEnv): LaunchDescription | undefined {
  if (env[NO_LAUNCH_CACHE_ENV] || env.LISTEN_FDS !== undefined) return undefined;
  const uid = process.getuid?.() ?? -1;
  let text: string;
  try {
    const fd = openSync(launchFile(argv, cwd, uid, env), 'r');
    try {
      const st = fstatSync(fd);
      if (st.uid !== uid || (st.mode & 0o022) !== 0) return undefined;
      text = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  let d: LaunchDescription;
  try {
    d = JSON.parse(text) as LaunchDescription;
  } catch {
    return undefined;
  }
  if (d.format !== LAUNCH_FORMAT || d.uid !== uid || d.cwd !== cwd || JSON.stringify(d.argv) !== JSON.stringify(argv)) return undefined;
  if (!Array.isArray(d.envIgnored) || d.env !== envHash(env, d.envIgnored) || typeof d.key !== 'object' || d.key === null || !d.spec) return undefined;
  if (staleInputs(d.key).length > 0) return undefined;
  return d;
}

/** Delete the description for this invocation (best effort). */
export function forgetLaunch(argv: readonly string[], cwd: string, env: NodeJS.ProcessEnv): void {
  try {
    rmSync(launchFile(argv, cwd, process.getuid?.() ?? -1, env), { force: true });
  } catch { /* best effort */ }
}

function prune(dir: string, keep: number): void {
  try {
    const files = readdirSync(dir).filter((n) => n.endsWith('.json'))
      .map((n) => ({ n, t: statSync(join(dir, n)).mtimeMs })).sort((a, b) => b.t - a.t);
    for (const { n } of files.slice(keep)) rmSync(join(dir, n), { force: true });
  } catch { /* best effort */ }
}

/** Write `d` atomically (0600) to its file; prunes old ones. Best effort: errors are ignored. */
export function writeLaunch(d: LaunchDescription, env: NodeJS.ProcessEnv): void {
  try {
    const file = launchFile(d.argv, d.cwd, d.uid, env);
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(d), { mode: 0o600 });
    renameSync(tmp, file);
    prune(dirname(file), KEEP_LAUNCHES);
  } catch { /* best effort */ }
}

// ---- Capture on the full path -------------------------------------------------------------

/** What the invocation is: set once by the entry (main.ts); without it nothing is captured. */
interface Invocation {
  argv: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Wall clock at start, ns (racy-edit check). */
  startNs: bigint;
  /** Script files of vagga itself (their change is a new vagga). */
  tools: string[];
}

/** What the command plan says (armLaunch). */
interface Armed {
  root: string;
  configFiles: readonly string[];
  settingsFiles: readonly string[];
  containers: readonly string[];
  epilog?: string;
}

/**
 * Global slot through which the CommonJS entry (src/cli/fast-entry.ts) tells the CLI bundle
 * it loads that capturing is wanted, with vagga's script files (an array of paths).
 */
export const LAUNCH_CAPTURE = Symbol.for('vagga.launch-capture');

let invocation: Invocation | undefined;
let armed: Armed | undefined;

/**
 * Enable capturing for this process (the real CLI entry only; tests calling runCli do not).
 * `tools`: vagga's own script files. Ignored when VAGGA_NO_LAUNCH_CACHE or LISTEN_FDS is set.
 */
export function enableLaunchCapture(argv: readonly string[], env: NodeJS.ProcessEnv, tools: readonly string[]): void {
  if (env[NO_LAUNCH_CACHE_ENV] || env.LISTEN_FDS !== undefined) return;
  invocation = { argv: [...argv], cwd: process.cwd(), env, startNs: BigInt(Date.now()) * 1_000_000n, tools: [...tools] };
}

/** Whether capturing is enabled (a plan worth arming). */
export function launchCaptureEnabled(): boolean {
  return invocation !== undefined;
}

/**
 * Declare that this invocation is one plain launch whose decision depends only on the key
 * inputs (see the module comment): the project `root`, the config and settings files read,
 * the `containers` involved (their `.vagga/NAME` links), and the
 * `epilog` to print. Called by `_run` and `vagga CMD` once they know the run qualifies.
 */
export function armLaunch(a: Armed): void {
  if (invocation) armed = a;
}

/** Forget an armed launch (the run turned out not to qualify). */
export function disarmLaunch(): void {
  armed = undefined;
}

/**
 * Called right before the sandbox of the armed launch starts, with its final spec: returns
 * a function to call once the sandbox has run (its setup succeeded), which writes the
 * description; undefined when nothing is armed or an input changed during this run. The
 * key is taken now, before the launch. Consumes the armed state (one launch per run).
 */
export function offerLaunch(spec: SandboxSpec, rootfs: string): (() => void) | undefined {
  const inv = invocation;
  const a = armed;
  armed = undefined;
  if (!inv || !a || spec.extraFds?.length || spec.aroundSpawn || spec.stdin === 'pipe' || spec.stdout === 'pipe') return undefined;
  const uid = process.getuid?.() ?? -1;
  try {
    if (statSync(a.root).uid !== uid) return undefined;
  } catch {
    return undefined;
  }
  // The link must lead to the root this run uses (a concurrent rebuild may have moved it).
  try {
    if (a.containers.some((c) => realpathSync(join(a.root, '.vagga', c)) !== realpathSync(rootfs))) return undefined;
  } catch {
    return undefined;
  }
  const entries = new Set<string>();
  for (const f of [...a.configFiles, ...a.settingsFiles, ...inv.tools, '/etc/subuid', '/etc/subgid']) entries.add(`s:${f}`);
  // No config file between the cwd and the root (else it would be another project).
  for (let dir = inv.cwd; dir !== a.root && dir.startsWith(`${a.root}/`); dir = dirname(dir)) {
    for (const name of ['.vagga/vagga.yaml', 'vagga.yaml', 'vagga.local.yaml', '.vagga.local.yaml', '.vagga/local.yaml']) entries.add(`s:${join(dir, name)}`);
  }
  entries.add(`i:${join(a.root, '.vagga')}`);
  for (const c of a.containers) entries.add(`l:${join(a.root, '.vagga', c)}`);
  entries.add(`i:${rootfs}`);
  const key: Record<string, string | null> = {};
  for (const e of entries) key[e] = inputState(e);
  // Racy: a file modified just before or during this run may change again within its mtime granularity.
  const racy = Object.entries(key).some(([k, v]) => k.startsWith('s:') && v !== null && BigInt(v.split(':')[1]!) > inv.startNs - 100_000_000n);
  if (racy) return undefined;
  const { aroundSpawn: _a, extraFds: _e, ...stored } = spec;
  const envIgnored = VOLATILE_VARIABLES.filter((v) => inv.env[v] !== undefined && !Object.hasOwn(spec.env, v));
  const d: LaunchDescription = {
    format: LAUNCH_FORMAT, uid, cwd: inv.cwd, argv: inv.argv, env: envHash(inv.env, envIgnored), envIgnored, key, spec: stored, rootfs,
    ...(a.epilog ? { epilog: a.epilog } : {}),
  };
  return () => writeLaunch(d, inv.env);
}
