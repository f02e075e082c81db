/**
 * `vagga _pack_image [options] CONTAINER` (inventory §1.8): build the container if needed
 * (like `_run`), then write its root as a plain tar (Vagga's; stdout or `-f FILE`, `-z/-j/-J`
 * or `--zstd`) or as an image (`--format oci|oci-archive|docker -f OUT [--name REPO:TAG]`,
 * default name `vagga/<container>:<short hash>`; image config from the container's
 * `environ` and `image:` section). The work is done by src/image/.
 */
import { realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { prepareContainers } from '../../builder/prepare-containers.js';
import { defaultImageName, formatImageName } from '../../image/image-name.js';
import { planPack, type PackValues } from '../../image/pack-options.js';
import { imageRunConfig } from '../../image/run-config.js';
import { readEnvironFile } from '../../runtime/run-in-container.js';
import { idMappingFor } from '../../sandbox/idmap.js';
import { readLayerStack, layerStoreDir, type StackLayer } from '../../storage/layer-inventory.js';
import { cacheDirFor, parseVersionDirName } from '../../storage/layout.js';
import { acquireLock, type HeldLock } from '../../storage/lock.js';
import { containerNotFound } from '../../version/errors.js';
import type { BuiltinCall } from '../builtin-spec.js';
import type { Project } from '../../config/project.js';
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
  const cached = plan.squash ? undefined : await buildCacheLayers(project, containerName);
  try {
    const result = await packImage({
      format: plan.format,
      file: plan.file,
      rootfs,
      idMapping,
      name,
      config: imageRunConfig(container.environ, container.image, readEnvironFile(container, rootfs)),
      createdBy: `vagga _pack_image ${containerName}`,
      upperLayers: cached?.layers.map((l) => ({ diff: l.diff, createdBy: `vagga: ${l.made}` })),
    });
    const layers = result.layers.length === 1 ? '1 layer' : `${result.layers.length} layers`;
    ctx.warn(`Image ${formatImageName(name)} (${plan.format}, ${layers}) written to ${plan.file}\nManifest: ${result.manifestDigest}\n`);
  } finally {
    await cached?.lease.release();
  }
  return 0;
}

/**
 * The build-cache layers the container's current version is made of (the finish layer of
 * its layer plan and its stack), with the store's GC lease held so that `_clean --cache`
 * cannot remove them during the export; undefined (nothing held) when the container is not
 * built in layers or the store no longer holds them all: the export is then one layer.
 */
async function buildCacheLayers(project: Project, name: string): Promise<{ layers: StackLayer[]; lease: HeldLock } | undefined> {
  const { defaultBuildDeps, finishLayerKey } = await import('../../builder/ensure-built.js');
  const key = finishLayerKey(await defaultBuildDeps(), project.config, project.settings, name);
  if (key === undefined) return undefined;
  const storeDir = layerStoreDir(cacheDirFor(project.settings));
  if (readLayerStack(storeDir, key) === undefined) return undefined;
  const lease = await acquireLock(join(storeDir, 'gc.lock'), { shared: true });
  // Read again under the lease: a clean may have removed layers before it was taken.
  const layers = readLayerStack(storeDir, key);
  if (layers === undefined) {
    await lease.release();
    return undefined;
  }
  return { layers, lease };
}
