/**
 * Reading the other vagga.yaml a `!SubConfig` step names (vagga-inventory.md §1.4): the
 * file is parsed in Vagga's YAML dialect and validated like a main config, without mixins;
 * only its containers matter for versioning.
 */
import * as path from 'node:path';
import type { Config } from '../config/model.js';
import { readQuireFile } from '../config/yaml-dialect.js';
import { validateConfigFile } from '../config/document.js';

/**
 * Load `hostPath` (absolute) as a configuration. Throws ConfigError (126) when it is not
 * valid. The result's projectRoot is the file's directory.
 */
export function readSubConfigFile(hostPath: string): Config {
  const doc = readQuireFile(hostPath);
  const warnings = [...doc.warnings];
  const file = validateConfigFile(doc.root, warnings);
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
