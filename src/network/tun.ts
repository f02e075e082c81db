/**
 * The /dev/net/tun check made before anything starts when a run needs pasta (published
 * ports, outbound access): pasta opens a tap device in the isolated namespace through it
 * (runtime-facts §5: with the node at 0600 pasta fails with `Failed to open tun socket in
 * namespace`). Debian's udev gives the node mode 0666; hosts without udev (a plain
 * devtmpfs, as on the machines this was measured on) leave it 0600, owner root.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { VaggaError } from '../errors/vagga-error.js';

/** The tun/tap device pasta needs. */
export const TUN_PATH = '/dev/net/tun';

/**
 * Test hook: check this path instead of TUN_PATH (the e2e test of the message uses a file
 * the user cannot open, rather than changing the host's device under other runs).
 */
export const TUN_PATH_ENV = 'VAGGA_DEBUG_TUN_PATH';

/**
 * The one-line message for an unusable tun device at `path` (`mode` its permission bits,
 * undefined when the node is missing). Pure.
 */
export function tunMessage(path: string, mode: number | undefined, what: string): string {
  if (mode === undefined) {
    return `${path} does not exist, and pasta needs it for ${what}: as root, load the tun module (\`modprobe tun\`) so that ${path} appears with mode 0666`;
  }
  const octal = (mode & 0o777).toString(8).padStart(4, '0');
  return `${path} is mode ${octal}, not readable and writable by you, and pasta needs it for ${what}: as root, run \`chmod 0666 ${path}\` (the mode Debian's udev gives it; it is reset at boot on hosts without udev)`;
}

/**
 * Throw VaggaError `network.tun-unusable` (exit 121) unless `path` (default TUN_PATH, or
 * the TUN_PATH_ENV test hook) can be opened for reading and writing by this user. `what` names the feature needing it (for the message).
 */
export function checkTun(what: string, path: string = process.env[TUN_PATH_ENV] || TUN_PATH): void {
  try {
    accessSync(path, constants.R_OK | constants.W_OK);
    return;
  } catch {
    // Explained below.
  }
  let mode: number | undefined;
  try {
    mode = statSync(path).mode;
  } catch {
    mode = undefined;
  }
  throw new VaggaError(tunMessage(path, mode, what), { code: 'network.tun-unusable' });
}
