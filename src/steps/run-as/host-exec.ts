/**
 * Running a host program (util-linux `setpriv`, `unshare`) inside the step sandbox, whose
 * `/` is the container being built and may have no C library at all (e.g. a busybox root).
 * The host's /usr is bound read-only at HOST_USR_MOUNT (under the step sandbox's /run
 * tmpfs, so nothing is left in the root) and the program is started through the host's
 * dynamic loader with `--library-path` (ld.so(8): "ld.so [OPTIONS] PROGRAM"), so its
 * libraries come from the host while everything it execs afterwards (the container's
 * /bin/sh) uses the container's own. Static programs (no PT_INTERP) are run directly.
 * Requires a merged-/usr host (Debian >= 12): the loader and the libraries must be in /usr,
 * which is also the only host directory the builder sandbox exposes.
 */
import { closeSync, openSync, readSync, realpathSync } from 'node:fs';
import { posix } from 'node:path';
import { VaggaError } from '../../errors/vagga-error.js';
import type { MountOp } from '../../mounts/types.js';

/** Where the host's /usr appears in the step sandbox. */
export const HOST_USR_MOUNT = '/run/.vagga-host-usr';

/**
 * The ELF program interpreter (PT_INTERP) of `file`, or undefined for a static program.
 * Handles 32/64-bit, little/big endian. Throws for files that are not ELF.
 */
export function elfInterpreter(file: string): string | undefined {
  const fd = openSync(file, 'r');
  try {
    const read = (pos: number, len: number): Buffer => {
      const b = Buffer.alloc(len);
      const n = readSync(fd, b, 0, len, pos);
      return b.subarray(0, n);
    };
    const head = read(0, 64);
    if (head.length < 52 || head.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${file} is not an ELF file`);
    const is64 = head[4] === 2;
    const le = head[5] === 1;
    const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const word = (b: Buffer, o: number) => (is64 ? Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o)) : u32(b, o));
    const phoff = word(head, is64 ? 0x20 : 0x1c);
    const phentsize = u16(head, is64 ? 0x36 : 0x2a);
    const phnum = u16(head, is64 ? 0x38 : 0x2c);
    for (let i = 0; i < phnum; i++) {
      const ph = read(phoff + i * phentsize, phentsize);
      if (u32(ph, 0) !== 3) continue; // PT_INTERP
      const offset = word(ph, is64 ? 0x08 : 0x04);
      const size = word(ph, is64 ? 0x20 : 0x10);
      return read(offset, size).toString('latin1').replace(/\0.*$/s, '');
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** How to start host programs in the step sandbox. */
export interface HostExec {
  /** Mounts to add to the step sandbox. */
  mounts: MountOp[];
  /** argv prefix running host program `hostPath` (e.g. `/usr/bin/setpriv`) in the sandbox. */
  argv(hostPath: string): string[];
}

function underUsr(hostPath: string, what: string, mountPoint: string = HOST_USR_MOUNT): string {
  if (hostPath !== '/usr' && !hostPath.startsWith('/usr/')) {
    throw new VaggaError(`Can't run the host's ${what}: ${hostPath} is outside /usr`, {
      code: 'env.usr-not-merged', hint: 'This needs a merged-/usr host system (Debian 12 or later).',
    });
  }
  return posix.join(mountPoint, hostPath.slice('/usr'.length));
}

/**
 * Plan running host programs (absolute host paths under /usr, symlinks allowed) inside the
 * step sandbox. `realpath` is injectable for tests. Throws VaggaError (121) when a program,
 * its loader or the loader's directory is outside /usr. `mountPoint`: where host /usr is
 * bound (default HOST_USR_MOUNT; the run sandbox uses one on its fresh /dev tmpfs).
 */
export function hostExec(realpath: (p: string) => string = realpathSync, interp: (p: string) => string | undefined = elfInterpreter, mountPoint: string = HOST_USR_MOUNT): HostExec {
  return {
    mounts: [{ kind: 'bind', source: '/usr', dest: mountPoint, readOnly: true }],
    argv(hostPath) {
      const prog = realpath(hostPath);
      const inSandbox = underUsr(prog, hostPath, mountPoint);
      const loader = interp(prog);
      if (loader === undefined) return [inSandbox];
      const realLoader = realpath(loader);
      const libDirs = [...new Set([posix.dirname(realLoader), '/usr/lib'])].map((d) => underUsr(d, loader, mountPoint));
      return [underUsr(realLoader, loader, mountPoint), '--library-path', libDirs.join(':'), inSandbox];
    },
  };
}
