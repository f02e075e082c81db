/**
 * `!Snapshot` volumes (vagga-inventory.md §1.5): a tmpfs at the mount point, pre-filled with
 * a copy of the image's directory at that path (or the same path of another container),
 * whose writes vanish with the command. Like Vagga's wrapper (make_snapshot), the tmpfs root
 * takes the mode, uid and gid of the mount point, and `owner-uid`/`owner-gid` override the
 * owner of every copied entry.
 *
 * Design (measured with bubblewrap 0.8 on Debian 12): bwrap cannot copy files, and the copy
 * must run inside the user namespace so that subordinate owners are kept. So the plan mounts
 *   - a tmpfs at the mount point (bwrap --size/--perms --tmpfs),
 *   - the source directory read-only at SNAPSHOT_STAGE/<n> (on bwrap's /dev tmpfs, writable
 *     even on a read-only root, like catatonit's bind),
 *   - the host's statically linked busybox at SNAPSHOT_SHELL,
 * and the command is started as `SNAPSHOT_SHELL sh -c PRELUDE -- argv...`: the prelude
 * (`cp -a`, `chown`, `chmod`, unmount of the staging binds) runs as root of the container's
 * user namespace with all capabilities, then `exec`s the command (catatonit stays pid 1 and
 * the command keeps its pid). The shell's own additions to the environment (SHLVL, PATH)
 * are undone before the exec, so the command sees the environment it gets without snapshots.
 */
import { openSync, readSync, closeSync, statSync } from 'node:fs';
import type { Volume } from '../config/model.js';
import { resolveLinksUnder } from '../config/resolve-links.js';
import type { IdMapEntry } from '../sandbox/types.js';
import type { MountOp } from './types.js';

/** Where snapshot sources are staged inside the sandbox (read-only binds, unmounted by the prelude). */
export const SNAPSHOT_STAGE = '/dev/.vagga-snapshot';

/** Where the host's static busybox is bound inside the sandbox (runs the prelude). */
export const SNAPSHOT_SHELL = '/dev/.vagga-tools/busybox';

/** Owner and permission bits of a directory as the host sees them. */
export interface HostStat {
  uid: number;
  gid: number;
  /** Permission bits (& 0o7777). */
  mode: number;
  isDirectory: boolean;
}

/** Host stat of `path` (symlinks followed), or undefined when it does not exist. */
export function hostStat(path: string): HostStat | undefined {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return undefined;
  return { uid: st.uid, gid: st.gid, mode: st.mode & 0o7777, isDirectory: st.isDirectory() };
}

/** One snapshot to fill at command start (all paths inside the sandbox, ids inside the namespace). */
export interface SnapshotCopy {
  /** The mount point (a tmpfs). */
  dest: string;
  /** The read-only staged source directory. */
  stage: string;
  /** Owner and mode of the tmpfs root (from the mount point). */
  uid: number;
  gid: number;
  mode: number;
  /** Owner override of every copied entry (`owner-uid`/`owner-gid`). */
  ownerUid?: number;
  ownerGid?: number;
  /** The tmpfs size in bytes (the volume's `size`), named when the copy does not fit. */
  size?: number;
}

/** A byte count the way `size:` is written (binary suffixes `Gi Mi ki`, vagga-inventory.md §1.1): `100Mi`, `512ki`, or plain bytes. */
export function formatSize(bytes: number): string {
  for (const [unit, n] of [['Gi', 2 ** 30], ['Mi', 2 ** 20], ['ki', 2 ** 10]] as const) {
    if (bytes >= n && bytes % n === 0) return `${bytes / n}${unit}`;
  }
  return String(bytes);
}

/**
 * The namespace id that host id `hostId` appears as, given a uid or gid map (inside ->
 * outside ranges, /proc/PID/uid_map semantics); 65534 (the overflow id, "nobody") when
 * unmapped, as the kernel shows it.
 */
export function insideId(hostId: number, entries: readonly IdMapEntry[]): number {
  for (const e of entries) {
    if (hostId >= e.outside && hostId < e.outside + e.count) return e.inside + (hostId - e.outside);
  }
  return 65534;
}

/** Inputs of snapshotPlan for one `!Snapshot` volume. */
export interface SnapshotInput {
  dest: string;
  volume: Extract<Volume, { kind: 'Snapshot' }>;
  /** Position among the command's snapshots (names the staging dir). */
  index: number;
  /** Host rootfs of the container the command runs in (holds the mount point). */
  rootfs: string;
  /** Host rootfs of the source container (`container:`), or `rootfs`. */
  sourceRoot: string;
  /** The uid/gid maps of the sandbox, to translate host owners. */
  uids: readonly IdMapEntry[];
  gids: readonly IdMapEntry[];
  /** Injectable host stat (default hostStat). */
  stat?: (path: string) => HostStat | undefined;
}

/**
 * Mount operations and the copy for one `!Snapshot` volume. Returns `{ error }` (a message
 * without the `mount !Snapshot` prefix) when the source directory is missing or not a
 * directory. When the mount point itself is missing, the tmpfs gets mode 0755 owned by root
 * (the caller's mount point check reports it).
 */
export function snapshotPlan(s: SnapshotInput): { ops: MountOp[]; copy: SnapshotCopy } | { error: string } {
  const stat = s.stat ?? hostStat;
  // Symlinks on the way are followed inside the container's root, never to host files.
  const source = resolveLinksUnder(s.sourceRoot, s.dest);
  const src = source === undefined ? undefined : stat(source);
  if (source === undefined || !src?.isDirectory) {
    const whose = s.volume.container ? `container ${JSON.stringify(s.volume.container)}` : 'the container';
    return { error: `${s.dest} is not a directory in ${whose} (nothing to snapshot)` };
  }
  const pointPath = s.sourceRoot === s.rootfs ? undefined : resolveLinksUnder(s.rootfs, s.dest);
  const point = s.sourceRoot === s.rootfs ? src : pointPath === undefined ? undefined : stat(pointPath);
  const stage = `${SNAPSHOT_STAGE}/${s.index}`;
  const copy: SnapshotCopy = {
    dest: s.dest,
    stage,
    uid: point ? insideId(point.uid, s.uids) : 0,
    gid: point ? insideId(point.gid, s.gids) : 0,
    mode: point ? point.mode : 0o755,
    size: s.volume.size,
  };
  if (s.volume.ownerUid !== undefined) copy.ownerUid = s.volume.ownerUid;
  if (s.volume.ownerGid !== undefined) copy.ownerGid = s.volume.ownerGid;
  return {
    ops: [
      { kind: 'bind', source, dest: stage, readOnly: true },
      { kind: 'tmpfs', dest: s.dest, size: s.volume.size, mode: copy.mode },
    ],
    copy,
  };
}

/** Single-quote `s` for a POSIX shell. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Variables busybox sh adds on start-up (measured: SHLVL, PATH when unset; OLDPWD by cd).
 * PWD is left alone: bwrap itself sets PWD to the --chdir directory, as does the shell.
 */
const SHELL_VARIABLES = ['SHLVL', 'PATH', 'OLDPWD'];

/**
 * The prelude script (busybox applets called as `$B applet`, B = SNAPSHOT_SHELL, since
 * busybox picks the applet from argv[0]'s name or argv[1]): for each snapshot, `cp -a STAGE/. DEST`, owner overrides
 * (`chown -R -h`), then owner and mode of the tmpfs root; unmount and remove the staging
 * binds; restore the variables the shell changed to their values in `env` (or unset them);
 * `exec "$@"`. Any copy failure exits 124 with a message on stderr, before the command runs:
 * cp's own messages are cut to 5 lines, and a copy that does not fit the tmpfs ("No space
 * left on device") is reported as one line naming the volume, its `size` and the key to raise.
 */
export function snapshotPrelude(copies: readonly SnapshotCopy[], env: Readonly<Record<string, string>>, shell = SNAPSHOT_SHELL): string {
  // Applets run through the bound busybox itself: the container may have no cp at all.
  const lines = [`B=${shellQuote(shell)}`];
  for (const c of copies) {
    const d = shellQuote(c.dest);
    const fail = `{ echo ${shellQuote(`vagga: could not fill the !Snapshot volume at ${c.dest}`)} >&2; exit 124; }`;
    // cp's errors are collected, not streamed: a tmpfs too small gives one `write error`
    // per file (thousands of lines). One line is printed instead.
    const size = c.size !== undefined ? ` (size: ${formatSize(c.size)})` : '';
    const full = `vagga: the !Snapshot volume at ${c.dest} is too small for its contents${size}; raise \`size:\` of this volume in vagga.yaml`;
    lines.push(`E=$($B cp -a ${shellQuote(`${c.stage}/.`)} ${d} 2>&1 >/dev/null) || { case "$E" in *"No space left"*) echo ${shellQuote(full)} >&2;; *) printf '%s\\n' "$E" | $B head -n 5 >&2; ${fail.slice(2, -3)};; esac; exit 124; }`);
    if (c.ownerUid !== undefined || c.ownerGid !== undefined) {
      const owner = `${c.ownerUid ?? ''}${c.ownerGid !== undefined ? `:${c.ownerGid}` : ''}`;
      lines.push(`$B chown -R -h ${owner} ${d} || ${fail}`);
    }
    lines.push(`$B chown ${c.uid}:${c.gid} ${d} && $B chmod ${c.mode.toString(8)} ${d} || ${fail}`);
  }
  for (const c of copies) lines.push(`$B umount ${shellQuote(c.stage)} 2>/dev/null && $B rmdir ${shellQuote(c.stage)} 2>/dev/null || true`);
  lines.push(`$B rmdir ${SNAPSHOT_STAGE} 2>/dev/null || true`);
  lines.push('unset B E');
  for (const name of SHELL_VARIABLES) {
    lines.push(Object.hasOwn(env, name) ? `export ${name}=${shellQuote(env[name])}` : `unset ${name}`);
  }
  lines.push('exec "$@"');
  return lines.join('\n');
}

/**
 * `argv` started through the prelude: `SHELL sh -c PRELUDE vagga-snapshot argv...`; `shell`
 * is the busybox path as the sandbox sees it (default SNAPSHOT_SHELL; tests use the host's).
 */
export function snapshotArgv(argv: readonly string[], copies: readonly SnapshotCopy[], env: Readonly<Record<string, string>>, shell = SNAPSHOT_SHELL): string[] {
  return [shell, 'sh', '-c', snapshotPrelude(copies, env, shell), 'vagga-snapshot', ...argv];
}

/**
 * True when `path` is an ELF executable without a program interpreter (PT_INTERP), i.e.
 * statically linked and runnable inside any container root. Reads the ELF header and
 * program headers (ELF-64 and ELF-32, little and big endian; elf(5)).
 */
export function isStaticElf(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(64);
    if (readSync(fd, head, 0, 64, 0) < 52 || head.readUInt32BE(0) !== 0x7f454c46) return false;
    const is64 = head[4] === 2;
    const le = head[5] === 1;
    const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const phoff = is64 ? Number(le ? head.readBigUInt64LE(32) : head.readBigUInt64BE(32)) : u32(head, 28);
    const phentsize = u16(head, is64 ? 54 : 42);
    const phnum = u16(head, is64 ? 56 : 44);
    const table = Buffer.alloc(phentsize * phnum);
    if (readSync(fd, table, 0, table.length, phoff) < table.length) return false;
    for (let i = 0; i < phnum; i++) if (u32(table, i * phentsize) === 3) return false;
    return true;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
