/**
 * Build lifecycle (vagga-inventory.md §2.3). CONTRACT STUB: implemented by the build work.
 */
import type { Config, Settings } from '../config/model.js';

export interface BuildOptions {
  /** Rebuild even if the version exists (`_build --force`). */
  force?: boolean;
  /** 0 quiet, 1 normal, 2 verbose. */
  verbosity: number;
}

export interface BuiltContainer {
  name: string;
  /** 128-hex version hash. */
  hash: string;
  /** Host path of the container's root filesystem: `<base>/.roots/<name>.<short>/root`. */
  rootfs: string;
}

/**
 * Make sure container `name` (and every container it depends on) is built at its current
 * version: build into `.vagga/.roots/.tmp.<name>` under a lock, publish atomically and
 * point `.vagga/<name>` at it. Build progress goes to stderr. Throws VaggaError (121) when
 * a step fails; the previously published version stays intact.
 */
export async function ensureBuilt(config: Config, settings: Settings, name: string, options: BuildOptions): Promise<BuiltContainer> {
  throw new Error('not implemented');
}
