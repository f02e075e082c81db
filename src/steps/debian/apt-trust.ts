/**
 * `!AptTrust {server, keys}` for apt-based distributions: fetch OpenPGP keys from a
 * keyserver and make apt trust them (vagga-inventory.md §1.4; Vagga ran `apt-key adv
 * --keyserver SERVER --recv-keys KEYS` after installing gnupg). apt-key is deprecated and
 * gone from newer releases, so the keys are received with gpg(1) into a throw-away home and
 * exported as a binary keyring into `/etc/apt/trusted.gpg.d/` (apt reads every `*.gpg`
 * there; apt-secure(8), sources.list(5) "signed-by"). Pure planning here; the step lives in
 * src/steps/ubuntu/steps.ts.
 */
import { Digest } from '../../version/digest.js';

/** Vagga's default keyserver for `!AptTrust` (used when `server` is not given). */
export const DEFAULT_KEYSERVER = 'hkps://keyserver.ubuntu.com:443';

/** Packages the container needs for receiving keys: gpg itself, dirmngr (network), CA certificates (hkps). */
export const APT_TRUST_PACKAGES: readonly string[] = ['gnupg', 'dirmngr', 'ca-certificates'];

/** `/etc/apt/trusted.gpg.d/vagga-<8 hex of server and keys>.gpg`: one file per step, stable across rebuilds. */
export function aptTrustKeyringPath(server: string, keys: readonly string[]): string {
  const d = new Digest();
  d.field('server', server);
  d.list('keys', keys);
  return `/etc/apt/trusted.gpg.d/vagga-${d.hex().slice(0, 8)}.gpg`;
}

/** Key ids as gpg takes them: hex fingerprints or ids, optionally `0x`-prefixed. */
export function isKeyId(key: string): boolean {
  return /^(0x)?[0-9A-Fa-f]{8,40}$/.test(key);
}

/**
 * The shell script (run with `/bin/sh -c` inside the container) that receives `keys` from
 * `server` into a temporary GNUPGHOME and exports them to `keyring`. Key ids are validated
 * by the caller (isKeyId), so they need no quoting; the server is single-quoted.
 */
export function aptTrustScript(server: string, keys: readonly string[], keyring: string): string {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const ids = keys.join(' ');
  return [
    'set -e',
    'export GNUPGHOME="$(mktemp -d)"',
    `trap 'gpgconf --kill all >/dev/null 2>&1 || true; rm -rf "$GNUPGHOME"' EXIT`,
    `gpg --batch --no-tty --keyserver ${q(server)} --recv-keys ${ids}`,
    `gpg --batch --no-tty --export ${ids} > ${q(keyring)}`,
    `chmod 0644 ${q(keyring)}`,
  ].join('\n');
}
