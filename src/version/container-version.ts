/**
 * Container version hash (vagga-inventory.md §2.1). CONTRACT STUB: implemented by the versioning work.
 */
import type { Config } from '../config/model.js';

export interface ContainerVersion {
  /** 128 lowercase hex chars. */
  hash: string;
  /** What was hashed, when requested (`--debug-versioning`). */
  trace?: string[];
}

/**
 * Compute the version of container `name`. Throws VersionUnknownError (exit 29) when an
 * input is missing before building (e.g. a `!Depends` path that does not exist yet), and
 * VaggaError (121) for an unknown container.
 */
export function containerVersion(config: Config, name: string, options: { trace?: boolean } = {}): ContainerVersion {
  throw new Error('not implemented');
}
