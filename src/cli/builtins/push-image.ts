/**
 * `vagga _push_image CONTAINER` (vagga-inventory.md §1.8): build the container if needed,
 * then push it:
 *  - with the `push-image-script` setting, Vagga's way (src/image/cache/push-script.ts);
 *  - else, when the container's `image-cache-url` is `docker://…`, as an OCI image to that
 *    reference (`${container_name}`/`${short_hash}` substituted): exported by src/image/
 *    export.ts into a layout next to the root, pushed by src/image/registry/push-layout.ts,
 *    the layout removed afterwards;
 *  - else Vagga's error `You should specify 'push-image-script' setting`.
 */
import { realpathSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { prepareContainers } from '../../builder/prepare-containers.js';
import { VaggaError } from '../../errors/vagga-error.js';
import { substituteCacheUrl } from '../../image/cache/plan.js';
import { formatRef, parseRegistryRef } from '../../image/registry/reference.js';
import { idMappingFor } from '../../sandbox/idmap.js';
import { parseVersionDirName } from '../../storage/layout.js';
import { containerNotFound } from '../../version/errors.js';
import type { BuiltinCall } from '../builtin-spec.js';
import { projectFor, type CliContext } from '../context.js';

/** Resolves with 0; errors are VaggaErrors (121 build/push failures, 122 a bad reference). */
export async function run(ctx: CliContext, call: BuiltinCall): Promise<number> {
  const containerName = call.positionals[0]!;
  const project = await projectFor(ctx, containerName);
  const { config, settings } = project;
  const container = Object.hasOwn(config.containers, containerName) ? config.containers[containerName] : undefined;
  if (!container) throw containerNotFound(containerName, Object.keys(config.containers));
  const script = settings.pushImageScript;
  const template = container.imageCacheUrl?.startsWith('docker://') ? container.imageCacheUrl : undefined;
  if (script === undefined && template === undefined) {
    throw new VaggaError("You should specify 'push-image-script' setting", {
      code: 'image.push-no-target',
      hint: 'Set push-image-script in your user settings, or give the container an image-cache-url: docker://HOST[:PORT]/REPO/${container_name}:${short_hash}.',
    });
  }
  const roots = await prepareContainers(project, [containerName], {
    buildMode: ctx.globals.buildMode, verbosity: ctx.globals.verbosity, noImageDownload: ctx.globals.noImageDownload,
  });
  const rootfs = roots[containerName]!;
  const versionDir = dirname(realpathSync(rootfs));
  const short = parseVersionDirName(basename(versionDir))?.short;
  if (short === undefined) {
    throw new VaggaError(`Container ${JSON.stringify(containerName)} has no version (built with --no-version-check?); it cannot be pushed`, { code: 'image.push-failed' });
  }
  const idMapping = idMappingFor(container.uids, container.gids);
  if (script !== undefined) {
    const { runPushScript } = await import('../../image/cache/push-script.js');
    await runPushScript({ script, containerName, shortHash: short, rootfs, versionDir, idMapping, projectRoot: config.projectRoot, env: ctx.env });
    return 0;
  }
  const ref = parseRegistryRef(substituteCacheUrl(template!, containerName, short), `image-cache-url of container ${JSON.stringify(containerName)}`);
  const [{ exportImage }, { imageRunConfig }, { readEnvironFile }, { pushLayoutImage }] = await Promise.all([
    import('../../image/export.js'),
    import('../../image/run-config.js'),
    import('../../runtime/run-in-container.js'),
    import('../../image/registry/push-layout.js'),
  ]);
  const layoutDir = join(versionDir, 'image-oci');
  await rm(layoutDir, { recursive: true, force: true });
  try {
    const exported = await exportImage({
      rootfs, idMapping, layoutDir,
      name: { repository: `${ref.host}/${ref.repository}`, tag: ref.tag },
      config: imageRunConfig(container.environ, container.image, readEnvironFile(container, rootfs)),
      createdBy: `vagga _push_image ${containerName}`,
      // A cache image must give back the root as built: only the kernel's mount points are empty.
      excludeContent: ['dev', 'proc', 'sys'],
      // zstd: about 5x faster to pack and to unpack than gzip (README, "Image cache").
      compression: 'zstd',
    });
    const pushed = await pushLayoutImage(layoutDir, exported.manifestDigest, ref, { insecure: settings.insecureRegistries, env: ctx.env });
    ctx.warn(`Pushed container ${containerName} (${short}) to ${formatRef(ref)} (manifest ${pushed.manifestDigest}; ${pushed.uploaded} of ${pushed.layers} layer${pushed.layers === 1 ? '' : 's'} uploaded)\n`);
  } finally {
    await rm(layoutDir, { recursive: true, force: true });
  }
  return 0;
}
