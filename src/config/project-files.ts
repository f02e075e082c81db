/**
 * The names of the files vagga reads to load a project (vagga-inventory.md §1.1, §1.2,
 * §1.9), declared once for the config lookup (load.ts), settings loading (settings.ts),
 * the config cache's validity key (src/cli/project-cache.ts) and `_clean`, which never
 * deletes the user's files kept in `.vagga/` (src/storage/clean.ts). No imports: this
 * module is on the start-up path.
 */

/** The main configuration file, relative to the project root. */
export const CONFIG_FILE = 'vagga.yaml';

/** Where the main file may be, in lookup order (the first found in a directory wins). */
export const MAIN_CONFIG_FILES = ['.vagga/vagga.yaml', CONFIG_FILE] as const;

/** Misspellings of the main file that get a warning when met while looking for a project. */
export const MISTYPED_CONFIG_FILES = ['.vagga/vagga.yml', 'vagga.yml'] as const;

/** Implicit mixins, in Vagga's list order (read in reverse: the last one has the highest precedence). */
export const LOCAL_MIXINS = ['vagga.local.yaml', '.vagga.local.yaml', '.vagga/local.yaml'] as const;

/** Settings files of the project, relative to its root, in application order (later wins). */
export const PROJECT_SETTINGS_FILES = ['.vagga.settings.yaml', '.vagga/settings.yaml'] as const;

/** The user's settings files, relative to HOME, in lookup order. */
export const USER_SETTINGS_FILES = ['.config/vagga/settings.yaml', '.vagga/settings.yaml', '.vagga.yaml'] as const;

/** Every project file above, relative to the project root. */
export const PROJECT_FILES: readonly string[] = [...PROJECT_SETTINGS_FILES, ...MAIN_CONFIG_FILES, ...LOCAL_MIXINS];
