/**
 * uid/gid maps the Vagga way (vagga-inventory.md §2.5). CONTRACT STUB: implemented by the sandbox work.
 */
import type { IdRange } from '../config/model.js';
import type { IdMapping } from './types.js';

/**
 * Map inside 0 -> the invoking user and the requested ranges (minus 0) onto the user's
 * /etc/subuid and /etc/subgid ranges. Without any range: a single-id mapping.
 * Throws VaggaError (121) when the ranges are too small or the files are malformed.
 */
export function idMappingFor(uids: IdRange[], gids: IdRange[]): IdMapping {
  throw new Error('not implemented');
}
