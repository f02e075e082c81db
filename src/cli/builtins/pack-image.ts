/**
 * `vagga _pack_image [options] CONTAINER` (inventory §1.8): build the container if needed
 * (like `_run`), then write its root as a plain tar (Vagga's; stdout or `-f FILE`, `-z/-j/-J`
 * or `--zstd`) or as an image (`--format oci|oci-archive|docker -f OUT [--name REPO:TAG]`,
 * default name `vagga/<container>:<short hash>`; image config from the container's
 * `environ` and `image:` section). The work is done by src/image/.
 */
import { realpathSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { prepareContainers } from '../../builder/prepare-containers.js';
import { defaultImageName, formatImageName } from '../../image/image-name.js';
import { planPack, type PackValues } from '../../image/pack-options.js';
import { imageRunConfig } from '../../image/run-config.js';
import { readEnvironFile } from '../../runtime/run-in-container.js';
import { idMappingFor } from '../../sandbox/idmap.js';
import { parseVersionDirName } from '../../storage/layout.js';
import { containerNotFound } from '../../version/errors.js';
import type { BuiltinCall } from '../builtin-spec.js';
import { projectFor, type CliContext } from '../context.js';

/** Resolves with 0; errors are VaggaErrors (122 bad options, 121 build or pack failures). */
export async function run(ctx: CliContext, call: BuiltinCall): Promise<number> {
  const containerName = call.positionals[0]!;
  const project = await projectFor(ctx, containerName);
  const container = Object.hasOwn(project.config.containers, containerName) ? project.config.containers[containerName] : undefined;
  if (!container) throw containerNotFound(containerName, Object.keys(project.config.containers));
  const plan = planPack(call.values as PackValues, project.config.projectRoot);
  const roots = await prepareContainers(project, [containerName], { buildMode: ctx.globals.buildMode, verbosity: ctx.globals.verbosity });
  if (ctx.globals.containersOnly) return 0;
  const rootfs = roots[containerName]!;
  const idMapping = idMappingFor(container.uids, container.gids);
  if (plan.format === 'tar') {
    const { packRootTar } = await import('../../image/pack-tar.js');
    await packRootTar({ rootfs, idMapping, compression: plan.compression, file: plan.file });
    return 0;
  }
  const short = parseVersionDirName(basename(dirname(realpathSync(rootfs))))?.short ?? 'latest';
  const name = plan.name ?? defaultImageName(containerName, short);
  const { packImage } = await import('../../image/pack-image.js');
  const result = await packImage({
    format: plan.format,
    file: plan.file,
    rootfs,
    idMapping,
    name,
    config: imageRunConfig(container.environ, container.image, readEnvironFile(container, rootfs)),
    createdBy: `vagga _pack_image ${containerName}`,
  });
  ctx.warn(`Image ${formatImageName(name)} (${plan.format}) written to ${plan.file}\nManifest: ${result.manifestDigest}\n`);
  return 0;
}
