/**
 * Turning uid/gid map failures into instructions (user-pain.md rows 1-4; Vagga issues #75,
 * #64, #248, #362). newuidmap(1)/newgidmap(1) only say `write to uid_map failed:
 * Operation not permitted`; the causes users hit are, in the order checked here:
 *  1. user namespaces disabled or restricted by the kernel (sysctls `user.max_user_namespaces`,
 *     Debian's `kernel.unprivileged_userns_clone`, Ubuntu's
 *     `kernel.apparmor_restrict_unprivileged_userns`);
 *  2. the helper is not setuid root (Arch's shadow 4.4, copied binaries);
 *  3. the map asks for host ids that /etc/subuid (/etc/subgid) does not give the user (file
 *     edited since, entry under another name, only subuid filled in).
 * Missing helpers are MissingToolError from src/sandbox/tools.ts (row 2 of the table).
 * Pure functions over injected readers; the sandbox launcher calls explainIdMapFailure when
 * a helper fails.
 */
import { readFileSync, statSync } from 'node:fs';
import { VaggaError } from '../errors/vagga-error.js';
import { parseSubIdFile, realIdHost, usermodSuggestion, type IdHost, type SubIdRange } from './idmap.js';
import type { IdMapEntry, IdMapping } from './types.js';

/** Kernel settings that gate unprivileged user namespaces: /proc/sys path, sysctl name, allowed test, fix. */
const USERNS_SYSCTLS = [
  {
    path: '/proc/sys/user/max_user_namespaces',
    name: 'user.max_user_namespaces',
    bad: (v: string) => v === '0',
    fix: 'sudo sysctl -w user.max_user_namespaces=28633',
    what: 'user namespaces are disabled',
  },
  {
    path: '/proc/sys/kernel/unprivileged_userns_clone',
    name: 'kernel.unprivileged_userns_clone',
    bad: (v: string) => v === '0',
    fix: 'sudo sysctl -w kernel.unprivileged_userns_clone=1',
    what: 'unprivileged user namespaces are disabled',
  },
  {
    path: '/proc/sys/kernel/apparmor_restrict_unprivileged_userns',
    name: 'kernel.apparmor_restrict_unprivileged_userns',
    bad: (v: string) => v === '1',
    fix: 'sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0   (or give bwrap an AppArmor profile with `userns,`)',
    what: 'AppArmor restricts unprivileged user namespaces',
  },
] as const;

/** Reads a /proc/sys file (trimmed), undefined when absent. */
export type SysctlReader = (path: string) => string | undefined;

function readSysctl(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * The kernel setting that forbids unprivileged user namespaces, as a VaggaError (121) whose
 * hint is the `sysctl` command (and how to keep it across reboots), or undefined when none does.
 */
export function usernsSysctlProblem(read: SysctlReader = readSysctl): VaggaError | undefined {
  for (const s of USERNS_SYSCTLS) {
    const v = read(s.path);
    if (v !== undefined && s.bad(v)) {
      return new VaggaError(`The kernel does not let ordinary users create containers: ${s.what} (${s.name} = ${v})`, {
        code: 'userns.sysctl-disabled',
        hint: `Allow them with:\n    ${s.fix}\nand make it permanent with a file in /etc/sysctl.d/ (e.g. echo '${s.name} = ...' | sudo tee /etc/sysctl.d/50-vagga.conf).`,
      });
    }
  }
  return undefined;
}

/**
 * The first entry of `entries` (other than inside 0, which is the user's own id) whose host
 * ids are not inside one of `allowed`, formatted `inside I -> host A..B`; undefined when all
 * are covered.
 */
export function uncoveredEntry(entries: readonly IdMapEntry[], allowed: readonly SubIdRange[]): string | undefined {
  for (const e of entries) {
    if (e.inside === 0 && e.count === 1) continue;
    const ok = allowed.some((a) => e.outside >= a.start && e.outside + e.count <= a.start + a.count);
    if (!ok) return `inside ${e.inside} -> host ${e.outside}..${e.outside + e.count - 1}`;
  }
  return undefined;
}

/** What explainIdMapFailure consults; `idHost` as for idMappingFor. */
export interface DiagnoseHost {
  idHost: IdHost;
  readSysctl: SysctlReader;
  /** Owner and mode of the helper binary, undefined when it cannot be read. */
  helperStat(path: string): { uid: number; mode: number } | undefined;
}

/** The real host. */
export function realDiagnoseHost(): DiagnoseHost {
  return {
    idHost: realIdHost(),
    readSysctl,
    helperStat: (p) => {
      try {
        const st = statSync(p);
        return { uid: st.uid, mode: st.mode };
      } catch {
        return undefined;
      }
    },
  };
}

/**
 * Explain why `helper` (`newuidmap` or `newgidmap`, at `helperPath`) failed to install
 * `mapping`, given its message (e.g. `newuidmap: write to uid_map failed: Operation not
 * permitted`). Always returns a VaggaError (exit 121) whose message keeps the helper's
 * words and whose hint says what to run, checking in order: kernel sysctls, the setuid
 * bit, the ranges in /etc/subuid (/etc/subgid) for the user. Never throws.
 */
export function explainIdMapFailure(helper: 'newuidmap' | 'newgidmap', helperPath: string, helperMessage: string, mapping: IdMapping, host: DiagnoseHost = realDiagnoseHost()): VaggaError {
  const said = helperMessage.trim() || `${helper} failed`;
  const sysctl = usernsSysctlProblem(host.readSysctl);
  if (sysctl) return new VaggaError(`${sysctl.message} (${said})`, { code: 'userns.sysctl-disabled', hint: sysctl.hint });

  const st = host.helperStat(helperPath);
  if (st && !(st.uid === 0 && (st.mode & 0o4000) !== 0)) {
    return new VaggaError(`\`${helperPath}\` is not setuid root, so it cannot map your subordinate ids into the container (${said})`, {
      code: 'userns.helper-not-setuid',
      hint: `Fix it with: sudo chown root:root ${helperPath} && sudo chmod u+s ${helperPath}\n(or reinstall it: sudo apt-get install --reinstall uidmap)`,
    });
  }

  const h = host.idHost;
  const kind = helper === 'newuidmap' ? 'uid' : 'gid';
  const file = `/etc/sub${kind}`;
  const text = kind === 'uid' ? h.subuid : h.subgid;
  const ownId = kind === 'uid' ? h.uid : h.gid;
  let allowed: SubIdRange[] = [];
  try {
    allowed = text === null ? [] : parseSubIdFile(text, file, { name: h.userName, id: ownId });
  } catch (e) {
    if (e instanceof VaggaError) return new VaggaError(`${e.message} (${said})`, { code: 'userns.bad-subid-file', hint: `Fix that line of ${file}.` });
  }
  const fix = usermodSuggestion(h.userName, h.subuid, h.subgid);
  if (allowed.length === 0) {
    return new VaggaError(`${file} has no range for user "${h.userName}", so ${helper} refuses to map more ids (${said})`, {
      code: 'userns.no-subuid',
      hint: `Add a range (the same one to both files) with:\n    ${fix}`,
    });
  }
  const entries = kind === 'uid' ? mapping.uids : mapping.gids;
  const outside = uncoveredEntry(entries, allowed);
  if (outside !== undefined) {
    return new VaggaError(`The container's ${kind} map (${outside}) is not inside the ranges ${file} gives user "${h.userName}" (${said})`, {
      code: 'userns.id-outside-range',
      hint: `${file} changed since the map was computed, or lists the range under another name. Check with: grep -E '^(${h.userName}|${ownId}):' ${file}`,
    });
  }
  return new VaggaError(`${helper} could not set up the container's ${kind} map (${said})`, {
    code: 'userns.map-failed',
    hint: `The map is inside your ${file} ranges, so the kernel or a security module refused it. Try: unshare --user --map-root-user true; and check dmesg for AppArmor/SELinux denials.`,
  });
}
