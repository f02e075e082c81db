/**
 * Registry references `docker://HOST[:PORT]/REPO[:TAG]` (the form `image-cache-url` and
 * `vagga _push_image` use; layers-and-images.md Part B §4 "Name rules", "Transport"): the
 * host is required (no implicit default registry), repository components are lowercase
 * (image-name.ts rules), a tag is `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}` (default `latest`).
 * Plain HTTP is used only for loopback hosts (localhost, 127.0.0.0/8, ::1; Docker's default
 * rule) and hosts listed in the `insecure-registries` user setting; HTTPS otherwise. Pure.
 */
import { VaggaError } from '../../errors/vagga-error.js';
import { isValidRepositoryPath, isValidTag } from '../image-name.js';

/** A parsed `docker://` reference. */
export interface RegistryRef {
  /** `HOST[:PORT]` as written (IPv6 in brackets). */
  host: string;
  /** Repository path inside the registry, e.g. `team/app`. */
  repository: string;
  tag: string;
}

/** `docker://HOST/REPO:TAG`. */
export function formatRef(ref: RegistryRef): string {
  return `docker://${ref.host}/${ref.repository}:${ref.tag}`;
}

const HOST = /^(?:\[[0-9a-fA-F:]+\]|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*)(?::[0-9]{1,5})?$/;

/**
 * Parse `text` (`docker://HOST[:PORT]/REPO[:TAG]`). `what` names the text in messages (e.g.
 * `image-cache-url of container "app"`). Throws VaggaError `registry.bad-reference` (122)
 * naming the rule broken; an uppercase or otherwise invalid component (typically from
 * `${container_name}`) gets its own hint.
 */
export function parseRegistryRef(text: string, what = 'registry reference'): RegistryRef {
  const bad = (why: string, hint?: string): never => {
    throw new VaggaError(`Invalid ${what} ${JSON.stringify(text)}: ${why}`, {
      code: 'registry.bad-reference',
      hint: hint ?? 'Write it like docker://HOST:PORT/team/${container_name}:${short_hash}.',
    });
  };
  if (!text.startsWith('docker://')) bad('it must start with docker://');
  const rest = text.slice('docker://'.length);
  if (rest.includes('@')) bad('a digest reference cannot be used as a cache tag');
  const slash = rest.indexOf('/');
  if (slash <= 0) bad('it needs a registry host and a repository (docker://HOST[:PORT]/REPO:TAG)');
  const host = rest.slice(0, slash);
  if (!HOST.test(host)) bad(`registry host ${JSON.stringify(host)} is not a host name with an optional port`);
  const path = rest.slice(slash + 1);
  const colon = path.lastIndexOf(':');
  const repository = colon > path.lastIndexOf('/') ? path.slice(0, colon) : path;
  const tag = colon > path.lastIndexOf('/') ? path.slice(colon + 1) : 'latest';
  if (!isValidRepositoryPath(repository)) {
    const upper = /[A-Z]/.test(repository);
    bad(`repository ${JSON.stringify(repository)} must be lowercase letters and digits separated by / . _ or -`,
      upper
        ? 'Registry repository names are lowercase: rename the container (e.g. my-app instead of MyApp) or put a fixed lowercase name in the URL instead of ${container_name}.'
        : 'Each path component is [a-z0-9]+ joined by . _ __ or dashes; rename the container or write a fixed name in the URL.');
  }
  if (!isValidTag(tag)) bad(`tag ${JSON.stringify(tag)} is not letters, digits, _ . - (at most 128, not starting with . or -)`);
  return { host, repository, tag };
}

/** The host name of `HOST[:PORT]` without port and brackets. */
export function hostName(host: string): string {
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  const i = host.lastIndexOf(':');
  return i >= 0 ? host.slice(0, i) : host;
}

/** Whether `host` (`HOST[:PORT]`) is a loopback name or address: localhost, 127.0.0.0/8, ::1. */
export function isLoopbackHost(host: string): boolean {
  const name = hostName(host).toLowerCase();
  return name === 'localhost' || name === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/**
 * The base URL of the registry API at `host`: `http://HOST/v2/` for loopback hosts and those
 * in `insecure` (entries `HOST[:PORT]`; an entry without port matches every port), else
 * `https://HOST/v2/`.
 */
export function registryBaseUrl(host: string, insecure: readonly string[] = []): string {
  const plain = isLoopbackHost(host) || insecure.some((e) => e === host || (!e.includes(':') && e === hostName(host)));
  return `${plain ? 'http' : 'https'}://${host}/v2/`;
}
