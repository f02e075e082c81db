/**
 * The run config of an exported image from a container's definition (pure): `Env` from the
 * container's `environ` (over its parsed `environ-file` and the default PATH, as vagga's
 * own commands get them, runtime/environment.ts), the rest from its `image:` section.
 * Host variables (TERM, proxies, settings `environ`, `-e`) are never baked into an image.
 */
import type { ContainerImageConfig } from '../config/model.js';
import { DEFAULT_PATH } from '../runtime/environment.js';
import type { ImageRunConfig } from './oci-json.js';

/** `NAME=value` lines: PATH (default), then `environFile`, then `environ` (later wins; order of first appearance). */
export function imageEnvironment(environ: Record<string, string>, environFile?: Record<string, string>): string[] {
  const env: Record<string, string> = { PATH: DEFAULT_PATH, ...environFile, ...environ };
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

/** The OCI run config of a container with `environ`, its parsed environ-file and `image:` section. */
export function imageRunConfig(environ: Record<string, string>, image: ContainerImageConfig | undefined, environFile?: Record<string, string>): ImageRunConfig {
  const run: ImageRunConfig = { env: imageEnvironment(environ, environFile) };
  if (!image) return run;
  if (image.entrypoint) run.entrypoint = image.entrypoint;
  if (image.cmd) run.cmd = image.cmd;
  if (image.workDir) run.workingDir = image.workDir;
  if (image.user) run.user = image.user;
  if (image.exposedPorts.length > 0) run.exposedPorts = image.exposedPorts;
  if (Object.keys(image.labels).length > 0) run.labels = image.labels;
  return run;
}
