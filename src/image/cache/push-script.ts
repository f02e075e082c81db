/**
 * `vagga _push_image` with the `push-image-script` setting, as in Vagga (vagga-inventory.md
 * §1.8): the root is packed as `<version dir>/image.tar.xz` (GNU tar in the namespace,
 * src/image/pack-tar.ts), the script runs through `sh -exc` in the project root with the
 * variables `image_path`, `container_name` and `short_hash` added to vagga's environment,
 * and the file is deleted afterwards (also when the script fails).
 */
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { VaggaError } from '../../errors/vagga-error.js';
import type { IdMapping } from '../../sandbox/types.js';

/** What runPushScript needs. */
export interface PushScriptInput {
  script: string;
  containerName: string;
  shortHash: string;
  rootfs: string;
  /** `.roots/<name>.<8hex>`: where image.tar.xz is written. */
  versionDir: string;
  idMapping: IdMapping;
  projectRoot: string;
  env: NodeJS.ProcessEnv;
}

/** The environment of the script: `env` plus Vagga's three variables. Pure. */
export function pushScriptEnv(env: NodeJS.ProcessEnv, imagePath: string, containerName: string, shortHash: string): NodeJS.ProcessEnv {
  return { ...env, image_path: imagePath, container_name: containerName, short_hash: shortHash };
}

/** Pack and run the script (module comment). Throws VaggaError `image.push-failed` (121) when the script fails. */
export async function runPushScript(input: PushScriptInput): Promise<void> {
  const imagePath = join(input.versionDir, 'image.tar.xz');
  const { packRootTar } = await import('../pack-tar.js');
  try {
    await packRootTar({ rootfs: input.rootfs, idMapping: input.idMapping, compression: 'xz', file: imagePath });
    const status = await new Promise<number>((resolve, reject) => {
      const child = spawn('/bin/sh', ['-exc', input.script], {
        cwd: input.projectRoot,
        env: pushScriptEnv(input.env, imagePath, input.containerName, input.shortHash),
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      child.on('error', reject);
      child.on('close', (code, signal) => resolve(code ?? 128 + (signal ? 15 : 0)));
    });
    if (status !== 0) {
      throw new VaggaError(`push-image-script failed with exit status ${status}`, { code: 'image.push-failed', hint: 'Its commands are shown above (sh -x).' });
    }
  } finally {
    await rm(imagePath, { force: true });
  }
}
