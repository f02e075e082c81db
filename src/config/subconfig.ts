/**
 * Reading the other vagga.yaml a `!SubConfig` step names (vagga-inventory.md §1.4): the
 * file is parsed in Vagga's YAML dialect and validated like a main config, without mixins;
 * only its containers matter (for versioning and building).
 */
import * as path from 'node:path';
import type { StepSchemas } from './containers.js';
import { validateConfigFile } from './document.js';
import type { Config } from './model.js';
import { readQuireFile } from './yaml-dialect.js';

/**
 * Load `hostPath` (absolute) as a configuration whose setup steps are of the types in
 * `steps`. Throws ConfigError (126) when it is not valid. The result's projectRoot is the
 * file's directory.
 */
export function readSubConfigFile(steps: StepSchemas, hostPath: string): Config {
  const doc = readQuireFile(hostPath);
  const warnings = [...doc.warnings];
  const file = validateConfigFile(steps, doc.root, warnings);
  return {
    projectRoot: path.dirname(hostPath),
    mainFile: hostPath,
    files: doc.files,
    minimumVagga: file.minimumVagga,
    containers: file.containers,
    commands: file.commands,
    warnings,
  };
}
