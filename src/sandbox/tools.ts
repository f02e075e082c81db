/**
 * Locating the host programs the sandbox needs. Each missing program becomes a
 * MissingToolError naming the Debian package that ships it (Debian 12 package contents).
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { MissingToolError, VaggaError } from '../errors/vagga-error.js';

/** Host programs used by the sandbox and the builds, with their Debian package and purpose. */
export const HOST_TOOLS = {
  bwrap: { pkg: 'bubblewrap', why: 'it creates the container sandbox' },
  newuidmap: { pkg: 'uidmap', why: 'it maps the /etc/subuid range into the container' },
  newgidmap: { pkg: 'uidmap', why: 'it maps the /etc/subgid range into the container' },
  catatonit: { pkg: 'catatonit', why: 'it runs as pid 1 in the container and forwards signals' },
  mmdebstrap: { pkg: 'mmdebstrap', why: 'it bootstraps Debian root filesystems' },
  tar: { pkg: 'tar', why: 'it packs and unpacks root filesystems' },
  unshare: { pkg: 'util-linux', why: 'it creates the user namespace the sandbox runs in' },
  setpriv: { pkg: 'util-linux', why: 'it ties the sandbox lifetime to vagga' },
  flock: { pkg: 'util-linux', why: 'it holds the build and cache locks' },
  nsenter: { pkg: 'util-linux', why: 'it puts the sandboxes of an isolated network or a networked !Supervise into their namespaces' },
  ip: { pkg: 'iproute2', why: 'it brings up loopback in an isolated network and sets up the bridge and addresses of a networked !Supervise' },
  pasta: { pkg: 'passt', why: 'it publishes ports of an isolated network and gives it outbound access' },
} as const;

export type HostTool = keyof typeof HOST_TOOLS;

/** Directories searched after $PATH: sbin dirs are often missing from an ordinary user's PATH. */
export const EXTRA_DIRS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin'];

const found = new Map<string, string>();

/**
 * The directories searched for programs, in order: `pathEnv` split on `:` (empty entries
 * dropped), then EXTRA_DIRS, without duplicates.
 */
export function searchDirs(pathEnv: string | undefined): string[] {
  const dirs = (pathEnv ?? '').split(delimiter).filter((d) => d.startsWith('/'));
  return [...new Set([...dirs, ...EXTRA_DIRS])];
}

/**
 * Absolute path of an executable regular file named `name` in `dirs`, or undefined.
 * `isExecutable` is injectable for tests.
 */
export function findInDirs(name: string, dirs: string[], isExecutable: (path: string) => boolean = executableFile): string | undefined {
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function executableFile(path: string): boolean {
  // existsSync first: a missing candidate (the common case while walking $PATH) then costs
  // no exception object; start-up time matters (`vagga _run` looks up six tools).
  if (!existsSync(path)) return false;
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Absolute host path of `tool`, searched in $PATH and EXTRA_DIRS (cached per process).
 * Throws MissingToolError (exit 121) naming the Debian package when it is absent.
 */
export function findTool(tool: HostTool): string {
  const cached = found.get(tool);
  if (cached) return cached;
  const path = findInDirs(tool, searchDirs(process.env.PATH));
  if (!path) throw new MissingToolError(tool, HOST_TOOLS[tool].pkg, HOST_TOOLS[tool].why);
  found.set(tool, path);
  return path;
}

/**
 * Check that a newuidmap/newgidmap binary can do its job for an ordinary user: it must be
 * owned by root and carry the setuid bit (shadow's uidmap package installs it mode 4755).
 * `st` is the file's stat (injectable for tests). Throws VaggaError (121) with the fix.
 * Not needed when vagga itself runs as root (it then writes the maps directly).
 */
export function checkSetuidHelper(path: string, st: { mode: number; uid: number } = statSync(path)): void {
  if (st.uid === 0 && (st.mode & 0o4000) !== 0) return;
  throw new VaggaError(`\`${path}\` is not setuid root, so it cannot map the /etc/subuid and /etc/subgid ranges into the container.`, {
    code: 'userns.helper-not-setuid',
    hint: `Fix it with: sudo chown root:root ${path} && sudo chmod u+s ${path}\n(or reinstall it: sudo apt-get install --reinstall uidmap)`,
  });
}

/** findTool plus the setuid check, for newuidmap/newgidmap. */
export function findIdMapHelper(tool: 'newuidmap' | 'newgidmap'): string {
  const path = findTool(tool);
  checkSetuidHelper(path);
  return path;
}
