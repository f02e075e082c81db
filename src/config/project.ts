/**
 * The loaded project as every later stage sees it: the validated config, the merged
 * settings (their paths: Config.projectRoot, Settings' storage and cache dirs) and the
 * container versions known from the config cache (src/cli/project-cache.ts).
 */
import type { Config, Settings } from './model.js';

/** A loaded project: validated config and merged settings. */
export interface Project {
  config: Config;
  settings: Settings;
  /** Version hashes known from the config cache (container name -> 128 hex), if any. */
  versions?: Record<string, string>;
  /** Remember a container's freshly computed version (the cache keeps it if it may). */
  recordVersion?(name: string, hash: string): void;
}
