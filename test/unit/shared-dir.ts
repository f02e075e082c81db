/**
 * Where the project's shared reference material lives: `shared/` beside the repository
 * (`<repo>/../shared`), as laid out for developers and CI. VAGGA_SHARED_DIR overrides it.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Absolute path of the shared/ directory. */
export const SHARED_DIR = process.env.VAGGA_SHARED_DIR ?? path.resolve(repoRoot, '..', 'shared');
