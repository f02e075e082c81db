/**
 * The project owner check (vagga-inventory.md §2.5 "Owner check", §1.7 `--ignore-owner-check`):
 * vagga works with the invoking user's uid map, so running it in a project that belongs to
 * someone else mixes owners in `.vagga/`. Root is refused (exit 122): root's builds and the
 * directories it creates would be owned by host root and the project's owner could no longer
 * rebuild or remove them. Other users get a warning and go on.
 */
import { readFileSync, statSync } from 'node:fs';
import { VaggaError } from '../errors/vagga-error.js';

/** What the check needs to know about the host; defaults are the real process. */
export interface OwnerCheckHost {
  /** Effective uid of the caller. */
  uid: number;
  /** Owner uid of `path`, undefined when it cannot be stat'ed. */
  ownerOf(path: string): number | undefined;
  /** User name of a uid for messages (e.g. from /etc/passwd), undefined when unknown. */
  userName(uid: number): string | undefined;
}

function realOwnerOf(path: string): number | undefined {
  try {
    return statSync(path).uid;
  } catch {
    return undefined;
  }
}

/** The name of `uid` from /etc/passwd (no NSS lookup: used in messages only). */
function passwdName(uid: number): string | undefined {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f.length > 2 && f[2] === String(uid)) return f[0];
    }
  } catch {
    // Unknown name: the message shows the uid only.
  }
  return undefined;
}

/** The real host. */
export function realOwnerCheckHost(): OwnerCheckHost {
  return { uid: process.geteuid?.() ?? 0, ownerOf: realOwnerOf, userName: passwdName };
}

/**
 * Compare the owner of `projectRoot` with the caller. Same owner, or a root that cannot be
 * stat'ed: nothing. Caller is root: throws VaggaError (122) `You should not run vagga as
 * root ...` with a hint naming the owner. Otherwise returns a warning text (one paragraph,
 * no trailing newline) for the caller to print; undefined when there is nothing to say.
 */
export function checkProjectOwner(projectRoot: string, host: OwnerCheckHost = realOwnerCheckHost()): string | undefined {
  const owner = host.ownerOf(projectRoot);
  if (owner === undefined || owner === host.uid) return undefined;
  const who = (uid: number) => {
    const name = host.userName(uid);
    return name ? `${name} (uid ${uid})` : `uid ${uid}`;
  };
  const ownerName = host.userName(owner);
  if (host.uid === 0) {
    throw new VaggaError(
      `You should not run vagga as root: the project ${JSON.stringify(projectRoot)} belongs to ${who(owner)}. ` +
        'Containers built by root are owned by host root, and the owner of the project could then neither ' +
        'rebuild nor remove them.',
      {
        code: 'args.run-as-root',
        hint: `Run vagga as the project's owner instead, e.g.: runuser -u ${ownerName ?? `'#${owner}'`} -- vagga ...\n` +
          'If you really mean to run it as root here, add the global flag --ignore-owner-check.',
      },
    );
  }
  return `Warning: the project ${JSON.stringify(projectRoot)} belongs to ${who(owner)}, but vagga runs as ${who(host.uid)}: ` +
    'files it creates in .vagga/ and /work will be owned by you, and you may lack permission on files of the owner ' +
    '(pass --ignore-owner-check to silence this warning).';
}
