/**
 * Settings (vagga-inventory.md §1.9). CONTRACT STUB: implemented by the config work.
 */
import type { Settings } from './model.js';

/**
 * Merge settings from `~/.config/vagga/settings.yaml`, `~/.vagga/settings.yaml`,
 * `~/.vagga.yaml` (with site-settings for `projectRoot`), `VAGGA_SETTINGS`, then the
 * project's `.vagga.settings.yaml` and `.vagga/settings.yaml`. Throws ConfigError (126).
 */
export function loadSettings(projectRoot: string, env: NodeJS.ProcessEnv): Settings {
  throw new Error('not implemented');
}
