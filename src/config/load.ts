/**
 * Loading a project's configuration: find the project root, read vagga.yaml with its
 * implicit local mixins and `mixins:` list (each with includes), validate into the model
 * and check cross-references. Behaviour: vagga-inventory.md §1.1, §1.2.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError, VaggaError } from '../errors/vagga-error.js';
import type { StepSchemas } from './containers.js';
import { rawMinimumVagga, validateConfigFile, type ConfigFile } from './document.js';
import type { Config } from './model.js';
import { CONFIG_FILE, LOCAL_MIXINS, MAIN_CONFIG_FILES, MISTYPED_CONFIG_FILES } from './project-files.js';
import type { Pos, QNode } from './qnode.js';
import { checkContainerReferences, missingCommandContainers } from './references.js';
import { satisfiesMinimum } from './version-compare.js';
import { resolveProjectPath } from './project-path.js';
import { readQuireFile } from './yaml-dialect.js';

/** Re-exported: src/config/project-files.ts. */
export { LOCAL_MIXINS };

/** Where the project is: its root, the main file (absent when only local mixins exist) and typo warnings. */
export interface ProjectLocation {
  root: string;
  mainFile: string | undefined;
  /** `vagga.yml` typo warnings for the directories walked. */
  warnings?: string[];
}

/**
 * Walk up from `cwd` to the first directory holding `.vagga/vagga.yaml` or `vagga.yaml`
 * (or only an implicit local mixin). Throws VaggaError (126) `Config not found in path "<cwd>"`.
 */
export function findProjectRoot(cwd: string): ProjectLocation {
  const start = resolve(cwd);
  const warnings: string[] = [];
  let dir = start;
  for (;;) {
    for (const typo of MISTYPED_CONFIG_FILES.map((f) => join(dir, f))) {
      if (existsSync(typo)) {
        warnings.push(`There is ${JSON.stringify(typo)}: possibly a typo, the configuration file name is vagga.yaml`);
      }
    }
    for (const name of MAIN_CONFIG_FILES) {
      const file = join(dir, name);
      if (existsSync(file)) return { root: dir, mainFile: file, warnings };
    }
    if (LOCAL_MIXINS.some((m) => existsSync(join(dir, m)))) return { root: dir, mainFile: undefined, warnings };
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  const typoHint = warnings.length ? `\n${warnings.join('\n')}` : '';
  throw new VaggaError(`Config not found in path ${JSON.stringify(start)}`, {
    code: 'config.not-found',
    hint: `Run vagga inside a project: a directory (or a subdirectory of one) holding vagga.yaml or .vagga/vagga.yaml.${typoHint}`,
  });
}

function minimumVaggaMessage(minimum: string): string {
  return `Minimum Vagga Error: Please upgrade vagga to at least ${JSON.stringify(minimum)}`;
}

/** Mixin paths must stay below the including file's directory (as `!*Include`). */
function mixinPath(includingFile: string, relative: string): string | undefined {
  if (relative.startsWith('/') || relative.split('/').includes('..')) return undefined;
  return join(dirname(includingFile), relative);
}

/** Positions of the items of a file's `mixins:` list (empty when it has none). */
function mixinPositions(root: QNode): Pos[] {
  const list = root.kind === 'map' ? root.entries.find((e) => e.key === 'mixins')?.value : undefined;
  return list?.kind === 'seq' ? list.items.map((item) => item.pos) : [];
}

/** Accumulates files in precedence order: the first definition of a name is kept. */
class ConfigBuilder {
  readonly files: string[] = [];
  readonly warnings: string[] = [];
  readonly containers: Config['containers'] = {};
  readonly commands: Config['commands'] = {};
  private readonly seen = new Set<string>();

  constructor(readonly steps: StepSchemas, private readonly projectRoot: string) {}

  /** Never read `file` as a mixin (the main file, or one read already). */
  markSeen(file: string): void {
    this.seen.add(file);
  }

  absorb(cfg: ConfigFile): void {
    for (const [name, c] of Object.entries(cfg.containers)) if (!(name in this.containers)) this.containers[name] = c;
    for (const [name, c] of Object.entries(cfg.commands)) if (!(name in this.commands)) this.commands[name] = c;
  }

  read(file: string): { root: QNode } {
    const doc = readQuireFile(file);
    for (const f of doc.files) if (!this.files.includes(f)) this.files.push(f);
    this.warnings.push(...doc.warnings);
    return doc;
  }

  /** Read `mixins` of `includingFile` last-first, each followed by its own mixins. */
  mixins(includingFile: string, list: readonly string[], positions: readonly Pos[] = []): void {
    for (let i = list.length - 1; i >= 0; i--) {
      const rel = list[i]!;
      const file = mixinPath(includingFile, rel);
      if (file === undefined) {
        this.warnings.push(`Skipping mixin ${JSON.stringify(rel)} listed in ${includingFile}: only relative paths without ".." are allowed`);
        continue;
      }
      if (this.seen.has(file)) continue;
      this.seen.add(file);
      try {
        resolveProjectPath(this.projectRoot, file, { key: `mixins[${i}]` });
      } catch (e) {
        if (!(e instanceof VaggaError)) throw e;
        const pos = positions[i];
        const where = pos ? `${pos.file}:${pos.line}:${pos.col}` : includingFile;
        this.warnings.push(`Skipping mixin ${JSON.stringify(rel)} listed in ${where}: ${e.message}`);
        continue;
      }
      if (!existsSync(file)) {
        this.warnings.push(`Skipping mixin ${JSON.stringify(rel)} listed in ${includingFile}: file ${JSON.stringify(file)} does not exist`);
        continue;
      }
      let cfg: ConfigFile;
      let ownPositions: Pos[] = [];
      try {
        const { root } = this.read(file);
        ownPositions = mixinPositions(root);
        const minimum = rawMinimumVagga(root);
        if (minimum !== undefined && !satisfiesMinimum(minimum)) {
          this.warnings.push(`Skipping mixin ${JSON.stringify(file)}: ${minimumVaggaMessage(minimum)}`);
          continue;
        }
        cfg = validateConfigFile(this.steps, root, this.warnings);
      } catch (e) {
        if (!(e instanceof VaggaError)) throw e;
        this.warnings.push(`Skipping mixin because of error. Error: ${e.message}`);
        continue;
      }
      this.absorb(cfg);
      this.mixins(file, cfg.mixins, ownPositions);
    }
  }
}

/**
 * Load and validate the project configuration visible from `cwd` (synchronous: it runs on
 * every vagga call), with the setup step types of `steps` (the step registry). Precedence of a name defined in several files: main file > implicit
 * local mixins (`.vagga/local.yaml` > `.vagga.local.yaml` > `vagga.local.yaml`) > later
 * `mixins:` entries > earlier ones; a mixin's own mixins rank right after it. Unreadable or
 * invalid mixins are skipped with a warning (Config.warnings).
 * Throws VaggaError (126): config not found, `Minimum Vagga Error: ...` for the main file,
 * ConfigError for syntax/validation errors in the main file, missing or cyclic container
 * references.
 */
export function loadConfig(steps: StepSchemas, cwd: string): Config {
  const { root: projectRoot, mainFile, warnings = [] } = findProjectRoot(cwd);
  const b = new ConfigBuilder(steps, projectRoot);
  b.warnings.push(...warnings);
  const effectiveMain = mainFile ?? join(projectRoot, CONFIG_FILE);
  let main: ConfigFile = { mixins: [], containers: {}, commands: {} };
  let mainMixinPositions: Pos[] = [];
  if (mainFile !== undefined) {
    // The main file is the project's own: one linked out of the project is refused, never read.
    resolveProjectPath(projectRoot, mainFile, { key: mainFile.slice(projectRoot.length + 1) });
    b.markSeen(mainFile);
    const { root } = b.read(mainFile);
    const minimum = rawMinimumVagga(root);
    if (minimum !== undefined && !satisfiesMinimum(minimum)) {
      let message = minimumVaggaMessage(minimum);
      try {
        validateConfigFile(steps, root, []);
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        message += `\n${e.message}`;
      }
      throw new VaggaError(message, {
        code: 'config.minimum-vagga',
        hint: `${mainFile} asks for vagga ${minimum}; this implementation is compatible with an older Vagga.`,
      });
    }
    main = validateConfigFile(steps, root, b.warnings);
    mainMixinPositions = mixinPositions(root);
    b.absorb(main);
  }
  const pseudo = join(projectRoot, CONFIG_FILE);
  b.mixins(pseudo, LOCAL_MIXINS.filter((m) => existsSync(join(projectRoot, m))));
  b.mixins(effectiveMain, main.mixins, mainMixinPositions);

  checkContainerReferences(b.containers, steps);
  b.warnings.push(...missingCommandContainers(b));

  const config: Config = {
    projectRoot,
    mainFile: effectiveMain,
    files: b.files,
    containers: b.containers,
    commands: b.commands,
    warnings: b.warnings,
  };
  if (main.minimumVagga !== undefined) config.minimumVagga = main.minimumVagga;
  return config;
}
