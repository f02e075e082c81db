/**
 * End-to-end test harness: runs the bundled CLI the way a user does, as an ordinary (non-root)
 * user with a subordinate uid/gid range, in throw-away project dirs. The entry run is the one
 * users run, package.json's `bin`: dist/vagga.cjs (the CommonJS fast entry, which loads
 * dist/vagga-main.cjs through the V8 code cache; scripts/bundle.mjs). `VaggaOptions.entry`
 * selects another entry of dist/, e.g. the ESM `vagga.mjs` (+ dist/chunks/).
 *
 * - Run as root (CI): an ordinary user `vagga-e2e` is created once (useradd), given
 *   /etc/subuid and /etc/subgid ranges if it has none, and every vagga call runs as that user
 *   through `setpriv --reuid --regid --init-groups` (util-linux setpriv(1): it execs, so the
 *   pid we hold IS vagga and signals reach it directly; runuser would fork and meddle).
 *   The bundle and fixtures are staged into a world-readable dir under /tmp, because the
 *   checkout may sit below a directory the user cannot enter.
 * - Run as an ordinary user: vagga runs as that user directly; the user must already have
 *   subuid/subgid ranges (otherwise setup fails with the usermod command that adds them).
 *
 * The environment of every call is clean: HOME, PATH, USER, LOGNAME, LANG and
 * VAGGA_SETTINGS (`cache-dir: /var/tmp/vagga-e2e-cache-<user>`, so the Debian bootstrap
 * tarball and apt archives are shared by all tests and kept across runs on one machine).
 */
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import {
  chmodSync, chownSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync,
  readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { codeCachePath } from '../../src/cli/code-cache.js';
import { E2E_USER, ensureUser, freeRangeStart, hasRange, readText } from '../test-user.js';

/** Repository root (two levels above this file). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** File name (in dist/) of the entry users run: package.json `bin.vagga`. */
export const USER_ENTRY = 'vagga.cjs';

/** Files of dist/ that must exist before the suite can run (the two entries and the CommonJS bundle). */
export const REQUIRED_DIST_FILES = [USER_ENTRY, 'vagga-main.cjs', 'vagga.mjs'];

export { E2E_USER, ensureUser, parseSubIds } from '../test-user.js';

/** The PATH given to vagga (Vagga's default container PATH; also fine on the host). */
export const HOST_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Busybox applets linked in the test tarball (all exist in Debian's busybox-static). */
export const BUSYBOX_APPLETS = [
  'sh', 'ash', 'ls', 'cat', 'echo', 'id', 'sleep', 'env', 'true', 'false', 'test', '[', 'mkdir',
  'touch', 'wc', 'stat', 'printf', 'pwd', 'grep', 'kill', 'rm', 'ln', 'chmod', 'readlink', 'head',
  'tail', 'sed', 'tr', 'uname', 'whoami', 'ps', 'seq', 'expr', 'cut', 'sort', 'tee', 'find',
  'mount', 'hostname', 'date', 'basename', 'dirname', 'cp', 'mv', 'chown', 'xargs',
];

/** Everything a test needs to know about the prepared environment. */
export interface E2EEnv {
  /** True when the suite runs as root and switches to `user` for every vagga call. */
  asRoot: boolean;
  user: string;
  uid: number;
  gid: number;
  home: string;
  /** Shared vagga cache dir (`cache-dir` setting), owned by `user`. */
  cacheDir: string;
  /** World-readable dir holding dist/, busybox.tar and the per-test projects. */
  stageDir: string;
  /** The dist/ directory that is run (`<stage>/dist` as root, else the repo's). */
  distDir: string;
  /** The vagga entry script that is run by default: `<distDir>/vagga.cjs` (package.json `bin`). */
  vaggaScript: string;
  /** The JavaScript runtime used to run vagga (this process's node). */
  runtime: string;
  /** Path of the busybox tarball (`bin/busybox` + applet symlinks). */
  busyboxTar: string;
}

let envPromise: Promise<E2EEnv> | undefined;

/**
 * Prepare (once per process) the user, ranges, cache dir and staged bundle. Throws an Error
 * whose message says what to do when the bundle is missing or the user has no subuid range.
 */
export function e2eEnv(): Promise<E2EEnv> {
  envPromise ??= setup();
  return envPromise;
}

async function setup(): Promise<E2EEnv> {
  for (const f of REQUIRED_DIST_FILES) {
    const path = join(repoRoot, 'dist', f);
    if (!existsSync(path)) {
      throw new Error(`${path} is missing: run \`node scripts/bundle.mjs\` (scripts/test.sh does) first`);
    }
  }
  const asRoot = process.getuid?.() === 0;
  let user: string, uid: number, gid: number, home: string;
  if (asRoot) {
    ({ uid, gid, home } = await ensureUser(E2E_USER));
    user = E2E_USER;
  } else {
    const me = userInfo();
    user = me.username;
    uid = me.uid;
    gid = me.gid;
    home = '';
    for (const file of ['/etc/subuid', '/etc/subgid']) {
      if (!hasRange(readText(file), user, uid)) {
        throw new Error(
          `${file} has no range for ${user}; vagga needs one. Add it with:\n` +
            `  sudo usermod --add-subuids ${freeRangeStart()}-${freeRangeStart() + 65535} ` +
            `--add-subgids ${freeRangeStart()}-${freeRangeStart() + 65535} ${user}`,
        );
      }
    }
  }
  const stageDir = mkdtempSync('/tmp/vagga-e2e-');
  chmodSync(stageDir, 0o755);
  let distDir = join(repoRoot, 'dist');
  if (asRoot) {
    cpSync(distDir, join(stageDir, 'dist'), { recursive: true });
    distDir = join(stageDir, 'dist');
    makeWorldReadable(distDir);
  }
  const vaggaScript = join(distDir, USER_ENTRY);
  if (!home) {
    // A fresh HOME keeps a contributor's own ~/.vagga.yaml settings out of the tests.
    home = join(stageDir, 'home');
    mkdirSync(home);
  }
  const cacheDir = `/var/tmp/vagga-e2e-cache-${user}`;
  mkdirSync(cacheDir, { recursive: true, mode: 0o755 });
  if (asRoot) chownSync(cacheDir, uid, gid);
  const busyboxTar = makeBusyboxTar(stageDir);
  const env: E2EEnv = {
    asRoot, user, uid, gid, home, cacheDir, stageDir, distDir, vaggaScript, runtime: process.execPath, busyboxTar,
  };
  const probe = spawnSync(...userCommand(env, [env.runtime, '-e', '0']), { stdio: 'pipe' });
  if (probe.status !== 0) {
    throw new Error(`user ${user} cannot run ${env.runtime}: ${probe.stderr?.toString()}`);
  }
  return env;
}

/** argv (program, args) that runs `argv` as the test user. */
function userCommand(env: E2EEnv, argv: string[]): [string, string[]] {
  if (!env.asRoot) return [argv[0]!, argv.slice(1)];
  return ['setpriv', ['--reuid', String(env.uid), '--regid', String(env.gid), '--init-groups', '--', ...argv]];
}

function makeWorldReadable(path: string): void {
  const st = statSync(path);
  if (st.isDirectory()) {
    chmodSync(path, 0o755);
    for (const e of readdirSync(path)) makeWorldReadable(join(path, e));
  } else {
    chmodSync(path, st.mode & 0o111 ? 0o755 : 0o644);
  }
}

/**
 * Build `<dir>/busybox.tar`: `./bin/busybox` (the host's static /usr/bin/busybox from the
 * busybox-static package) plus relative applet symlinks. Plain tar, made with GNU tar.
 */
function makeBusyboxTar(dir: string): string {
  const host = '/usr/bin/busybox';
  if (!existsSync(host)) throw new Error(`${host} is missing: sudo apt-get install busybox-static`);
  const tree = join(dir, 'busybox-tree');
  mkdirSync(join(tree, 'bin'), { recursive: true });
  copyFileSync(host, join(tree, 'bin/busybox'));
  chmodSync(join(tree, 'bin/busybox'), 0o755);
  for (const applet of BUSYBOX_APPLETS) symlinkSync('busybox', join(tree, 'bin', applet));
  const out = join(dir, 'busybox.tar');
  const r = spawnSync('tar', ['-C', tree, '--owner=0', '--group=0', '-cf', out, '.'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tar failed: ${r.stderr}`);
  chmodSync(out, 0o644);
  rmSync(tree, { recursive: true, force: true });
  return out;
}

let projectCounter = 0;

export interface ProjectOptions {
  /** Copy busybox.tar into the project (for `!Tar {url: ./busybox.tar}`); default true. */
  busybox?: boolean;
  /** Directory name prefix, for readable paths in failure messages. */
  name?: string;
}

/**
 * Create a project dir owned by the test user, holding `files` (relative path -> content;
 * parent dirs created) and, unless disabled, busybox.tar. Returns its absolute path.
 */
export async function makeProject(files: Record<string, string | Buffer>, opts: ProjectOptions = {}): Promise<string> {
  const env = await e2eEnv();
  const dir = join(env.stageDir, 'projects', `${opts.name ?? 'p'}-${process.pid}-${++projectCounter}`);
  mkdirSync(dir, { recursive: true });
  chmodSync(join(env.stageDir, 'projects'), 0o755);
  if (opts.busybox !== false) copyFileSync(env.busyboxTar, join(dir, 'busybox.tar'));
  for (const [rel, content] of Object.entries(files)) writeOwned(env, dir, rel, content);
  chownTree(env, dir);
  return dir;
}

/** Write (or overwrite) a file in a project, owned by the test user (parents created). */
export async function writeProjectFile(dir: string, rel: string, content: string | Buffer): Promise<void> {
  writeOwned(await e2eEnv(), dir, rel, content);
}

function writeOwned(env: E2EEnv, dir: string, rel: string, content: string | Buffer): void {
  const path = join(dir, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  if (env.asRoot) {
    chownSync(path, env.uid, env.gid);
    chownSync(dirname(path), env.uid, env.gid);
  }
}

function chownTree(env: E2EEnv, path: string): void {
  if (!env.asRoot) return;
  chownSync(path, env.uid, env.gid);
  if (statSync(path).isDirectory()) for (const e of readdirSync(path)) chownTree(env, join(path, e));
}

export interface VaggaOptions {
  /** Text written to vagga's stdin (stdin is closed afterwards; default: empty). */
  input?: string;
  /** Extra environment variables (added to the clean environment). */
  env?: Record<string, string>;
  /** Kill vagga with SIGKILL after this long (default 120 s); the result has timedOut set. */
  timeoutMs?: number;
  /** Working directory relative to the project (default: the project root). */
  cwd?: string;
  /**
   * Root only: run vagga in a private mount namespace where these programs are absent from
   * /usr/bin (an overlay with whiteouts), to provoke "missing tool" errors honestly.
   */
  hidePrograms?: string[];
  /** Replace VAGGA_SETTINGS entirely (YAML text); default sets only cache-dir. */
  settings?: string;
  /**
   * Add `build-cache: false` to the settings: for tests about what running steps do (their
   * output, the apt and npm caches), which a cached layer would skip.
   */
  noBuildCache?: boolean;
  /** Run as this user instead of the suite's user (root only; must exist). */
  asUser?: { user: string; uid: number; gid: number; home: string };
  /**
   * Entry file of dist/ to run instead of the user entry `vagga.cjs`, e.g. `vagga.mjs` to prove
   * the ESM entry (and the builder it starts, which re-runs the same entry) still works.
   */
  entry?: string;
  /**
   * File descriptors vagga inherits beyond stdio, as a shell's `exec 5<file` would leave
   * them: fd number → an open fd of the test process (spawn dup2s it to that number, which
   * clears close-on-exec, so it survives setpriv's exec as a shell's would).
   */
  fds?: Record<number, number>;
  /** A program (with its arguments) that runs vagga as its last arguments, e.g. an activator. */
  wrapWith?: string[];
}

export interface RunResult {
  /** Exit status, or null when killed by a signal. */
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Wall time in milliseconds. */
  ms: number;
}

/** A vagga process running in the background. */
export interface BackgroundVagga {
  child: ChildProcess;
  /** Host pid of vagga itself (setpriv execs, so this is the node process). */
  pid: number;
  /** Output collected so far. */
  stdout(): string;
  stderr(): string;
  /** Resolve once `pattern` appears in stdout or stderr (rejects after `timeoutMs`). */
  waitFor(pattern: RegExp | string, timeoutMs?: number): Promise<void>;
  /** Send a signal to vagga. */
  kill(signal: NodeJS.Signals): void;
  /** Resolve when vagga exits. */
  done: Promise<RunResult>;
}

/** The environment every vagga call gets (nothing is inherited from the test runner). */
export function cleanEnv(env: E2EEnv, extra: Record<string, string> = {}, settings?: string, who?: VaggaOptions['asUser']): Record<string, string> {
  const user = who?.user ?? env.user;
  const cacheDir = who ? `/var/tmp/vagga-e2e-cache-${who.user}` : env.cacheDir;
  return {
    HOME: who?.home ?? env.home,
    PATH: HOST_PATH.split(':').includes(dirname(env.runtime)) ? HOST_PATH : `${HOST_PATH}:${dirname(env.runtime)}`,
    USER: user,
    LOGNAME: user,
    LANG: 'C.UTF-8',
    VAGGA_SETTINGS: settings ?? `cache-dir: ${cacheDir}\n`,
    ...extra,
  };
}

/** The stdio array of a vagga spawn: three pipes, then `fds` at their numbers (gaps ignored). */
function inheritedStdio(fds: Record<number, number> = {}): StdioOptions {
  const top = Math.max(2, ...Object.keys(fds).map(Number));
  const stdio: StdioOptions = ['pipe', 'pipe', 'pipe'];
  for (let n = 3; n <= top; n++) stdio.push(fds[n] ?? 'ignore');
  return stdio;
}

/** Start vagga in `projectDir` with `args` and return a handle (see BackgroundVagga). */
export async function spawnVagga(projectDir: string, args: string[], opts: VaggaOptions = {}): Promise<BackgroundVagga> {
  const env = await e2eEnv();
  const who = opts.asUser;
  const script = opts.entry ? join(env.distDir, opts.entry) : env.vaggaScript;
  const argv = [...(opts.wrapWith ?? []), env.runtime, script, ...args];
  let cmd: [string, string[]];
  if (who && env.asRoot) {
    const cacheDir = `/var/tmp/vagga-e2e-cache-${who.user}`;
    mkdirSync(cacheDir, { recursive: true, mode: 0o755 });
    chownSync(cacheDir, who.uid, who.gid);
  }
  if (env.asRoot) {
    const id = who ?? env;
    const priv = ['setpriv', '--reuid', String(id.uid), '--regid', String(id.gid), '--init-groups', '--', ...argv];
    if (opts.hidePrograms?.length) {
      const ov = mkdtempSync(join(env.stageDir, 'hide-'));
      const rms = opts.hidePrograms.map((p) => `rm -f /usr/bin/${p} /usr/sbin/${p}`).join('; ');
      const script =
        `set -e; mkdir -p ${ov}/ub ${ov}/wb ${ov}/us ${ov}/ws; ` +
        `mount -t overlay overlay -o lowerdir=/usr/bin,upperdir=${ov}/ub,workdir=${ov}/wb /usr/bin; ` +
        `mount -t overlay overlay -o lowerdir=/usr/sbin,upperdir=${ov}/us,workdir=${ov}/ws /usr/sbin; ` +
        `${rms}; exec "$@"`;
      cmd = ['unshare', ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', script, 'sh', ...priv]];
    } else {
      cmd = [priv[0]!, priv.slice(1)];
    }
  } else {
    if (opts.hidePrograms?.length || who) throw new Error('hidePrograms/asUser need root');
    cmd = [argv[0]!, argv.slice(1)];
  }
  const started = Date.now();
  const child = spawn(cmd[0], cmd[1], {
    cwd: opts.cwd ? join(projectDir, opts.cwd) : projectDir,
    env: cleanEnv(env, opts.env, opts.noBuildCache
      ? `${opts.settings ?? `cache-dir: ${who ? `/var/tmp/vagga-e2e-cache-${who.user}` : env.cacheDir}\n`}build-cache: false\n`
      : opts.settings, who),
    stdio: inheritedStdio(opts.fds),
  });
  let out = '';
  let err = '';
  const waiters: { re: RegExp | string; resolve: () => void }[] = [];
  const check = () => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i]!;
      const hit = typeof w.re === 'string' ? (out + err).includes(w.re) : w.re.test(out) || w.re.test(err);
      if (hit) {
        waiters.splice(i, 1);
        w.resolve();
      }
    }
  };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; check(); });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d; check(); });
  child.stdin!.on('error', () => {});
  child.stdin!.end(opts.input ?? '');
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, opts.timeoutMs ?? 120_000);
  const done = new Promise<RunResult>((resolveDone, reject) => {
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolveDone({ status, signal, stdout: out, stderr: err, timedOut, ms: Date.now() - started });
    });
  });
  return {
    child,
    pid: child.pid!,
    stdout: () => out,
    stderr: () => err,
    kill: (signal) => { child.kill(signal); },
    waitFor(re, timeoutMs = 60_000) {
      return new Promise<void>((resolveWait, reject) => {
        const t = setTimeout(() => reject(new Error(`timed out waiting for ${re}\n--- stdout:\n${out}\n--- stderr:\n${err}`)), timeoutMs);
        waiters.push({ re, resolve: () => { clearTimeout(t); resolveWait(); } });
        done.then(() => {
          check();
          setTimeout(() => reject(new Error(`vagga exited before ${re} appeared\n--- stdout:\n${out}\n--- stderr:\n${err}`)), 0);
        });
        check();
      });
    },
    done,
  };
}

/** Run vagga to completion: `await vagga(dir, ['_build', 'x'])`. */
export async function vagga(projectDir: string, args: string[], opts: VaggaOptions = {}): Promise<RunResult> {
  return (await spawnVagga(projectDir, args, opts)).done;
}

/** Format a result for assertion messages. */
export function show(r: RunResult): string {
  return `status=${r.status} signal=${r.signal}${r.timedOut ? ' TIMED OUT' : ''} (${r.ms} ms)\n--- stdout:\n${r.stdout}\n--- stderr:\n${r.stderr}`;
}

/** A process seen in /proc. */
export interface ProcInfo {
  pid: number;
  uid: number;
  cmdline: string;
}

/** Processes whose command line (NUL bytes shown as spaces) contains `needle`. */
export function processesMatching(needle: string): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${e}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      if (!cmdline.includes(needle)) continue;
      const uidLine = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${e}/status`, 'utf8'));
      out.push({ pid: Number(e), uid: Number(uidLine?.[1] ?? -1), cmdline });
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

/** Poll until no process matches `needle` (returns [] ) or `timeoutMs` passes (returns them). */
export async function waitNoProcesses(needle: string, timeoutMs = 5000): Promise<ProcInfo[]> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const left = processesMatching(needle);
    if (left.length === 0 || Date.now() > end) return left;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A unique token for marking processes and outputs of one test. */
export function token(prefix = 'tok'): string {
  return `${prefix}${process.pid}x${Math.floor(Math.random() * 1e9)}`;
}

/**
 * Remove the staged dir (projects included) and, as root, the code cache vagga.cjs made for the
 * staged bundle in the test user's HOME, unless VAGGA_E2E_KEEP=1. Best effort.
 */
export async function cleanupStage(): Promise<void> {
  if (!envPromise || process.env.VAGGA_E2E_KEEP === '1') return;
  const env = await envPromise.catch(() => undefined);
  if (!env) return;
  if (env.asRoot) {
    // vagga.cjs keeps a V8 code cache per bundle path in the user's HOME (src/cli/code-cache.ts);
    // this staged copy's path is never used again, so its cache would only pile up.
    try {
      rmSync(codeCachePath(realpathSync(join(env.distDir, 'vagga-main.cjs')), { HOME: env.home }), { force: true });
    } catch {
      // Already gone.
    }
    rmSync(env.stageDir, { recursive: true, force: true });
  } else {
    // Trees with subuid-owned files can only be removed inside a user namespace with the
    // same mapping (runtime-facts.md §12).
    spawnSync('unshare', ['--map-auto', '--map-root-user', 'rm', '-rf', env.stageDir]);
    rmSync(env.stageDir, { recursive: true, force: true });
  }
}

/** Target of `.vagga/<name>` in a project, or undefined if there is no link. */
export function containerLink(projectDir: string, name: string): string | undefined {
  try {
    return spawnSync('readlink', [join(projectDir, '.vagga', name)], { encoding: 'utf8' }).stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The 8-hex short hash from `.vagga/<name>`'s target `.roots/<name>.<8hex>/root`. */
/**
 * The build log kept with container `name`'s current version
 * (`.vagga/.roots/<name>.<8hex>/build.log`), or undefined when it is not built.
 */
export function versionBuildLog(projectDir: string, name: string): string | undefined {
  const hash = linkHash(projectDir, name);
  return hash ? readFileSync(join(projectDir, '.vagga/.roots', `${name}.${hash}`, 'build.log'), 'utf8') : undefined;
}

export function linkHash(projectDir: string, name: string): string | undefined {
  const m = /^\.roots\/[^/]+\.([0-9a-f]{8})\/root$/.exec(containerLink(projectDir, name) ?? '');
  return m?.[1];
}
