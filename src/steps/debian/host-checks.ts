/**
 * Host-side preconditions of a Debian-family bootstrap, kept only as names for callers that
 * still import them (src/steps/ubuntu/bootstrap.ts). The logic lives in the sandbox code:
 * program lookup in src/sandbox/tools.ts (findTool), the subordinate id check in
 * src/sandbox/idmap.ts via requireBootstrapSubIds (src/steps/debian/bootstrap.ts).
 * New code should call those directly; this file can go once nothing imports it.
 */
import { findTool } from '../../sandbox/tools.js';
import { requireBootstrapSubIds } from './bootstrap.js';

/** Path of mmdebstrap (findTool); throws MissingToolError (121, names the package) when absent. */
export function requireMmdebstrap(): string {
  return findTool('mmdebstrap');
}

/**
 * The invoking user's /etc/subuid and /etc/subgid ranges can hold a Debian root (ids
 * 0-65535). The arguments are ignored: the check reads the invoking user itself
 * (requireBootstrapSubIds). Throws VaggaError (121) with the `sudo usermod ...` command.
 */
export function requireSubIds(_user?: string, _uid?: number): void {
  requireBootstrapSubIds();
}
