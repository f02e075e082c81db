/**
 * Image names (`[HOST[:PORT]/]PATH[:TAG]`, the distribution reference grammar): a path
 * component is lowercase letters and digits, separated inside by `.`, `_`, `__` or dashes;
 * a tag is `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`. A name without a tag gets `latest`; a
 * digest reference (`@sha256:`) is not a name an export can write. Pure.
 */
import { VaggaError } from '../errors/vagga-error.js';

/** A parsed image name. */
export interface ImageName {
  /** `[HOST[:PORT]/]PATH`, e.g. `vagga/app` or `127.0.0.1:5000/team/app`. */
  repository: string;
  tag: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const HOST = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Whether `tag` is a valid image tag. */
export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

/** Whether `path` (no host) is a valid repository path. */
export function isValidRepositoryPath(path: string): boolean {
  return path.length > 0 && path.split('/').every((c) => COMPONENT.test(c));
}

/**
 * Parse `text` (`REPO[:TAG]`). Throws VaggaError (`image.bad-name`, 122) naming the rule
 * broken.
 */
export function parseImageName(text: string): ImageName {
  const bad = (why: string): never => {
    throw new VaggaError(`Invalid image name ${JSON.stringify(text)}: ${why}`, {
      code: 'image.bad-name',
      hint: 'Write it like vagga/app:v1 or 127.0.0.1:5000/team/app:v1 (lowercase path, tag of letters, digits, _ . -).',
    });
  };
  if (text.includes('@')) bad('a digest reference cannot be written; give a tag');
  const lastSlash = text.lastIndexOf('/');
  const colon = text.lastIndexOf(':');
  const hasTag = colon > lastSlash;
  const repository = hasTag ? text.slice(0, colon) : text;
  const tag = hasTag ? text.slice(colon + 1) : 'latest';
  if (!TAG.test(tag)) bad(`tag ${JSON.stringify(tag)} is not letters, digits, _ . - (at most 128, not starting with . or -)`);
  const parts = repository.split('/');
  const first = parts[0]!;
  const hasHost = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasHost && !HOST.test(first)) bad(`registry host ${JSON.stringify(first)} is not a host name with an optional port`);
  const path = hasHost ? parts.slice(1).join('/') : repository;
  if (!isValidRepositoryPath(path)) bad(`repository ${JSON.stringify(path)} must be lowercase letters and digits, separated by / . _ or -`);
  return { repository, tag };
}

/** `repository:tag`. */
export function formatImageName(name: ImageName): string {
  return `${name.repository}:${name.tag}`;
}

/**
 * The default name of an export of container `container` at version `shortHash` (8 hex):
 * `vagga/<container>:<shortHash>`. Throws VaggaError (`image.bad-name`) when the container
 * name is not a valid repository path component (capitals, leading `_`...): give `--name`.
 */
export function defaultImageName(container: string, shortHash: string): ImageName {
  if (!COMPONENT.test(container)) {
    throw new VaggaError(`Container name ${JSON.stringify(container)} cannot be an image name (lowercase letters and digits separated by . _ or - only)`, {
      code: 'image.bad-name',
      hint: `Name the image yourself: --name vagga/${container.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'image'}:${shortHash}`,
    });
  }
  return { repository: `vagga/${container}`, tag: shortHash };
}
