/**
 * `--publish HOST:CONTAINER` (`-p`): a TCP port of an isolated network made reachable on the
 * host's loopback (127.0.0.1:HOST). Parsing only; pasta.ts turns the list into pasta's
 * `-t 127.0.0.1/HOST:CONTAINER` options. Beyond Vagga (Vagga publishes ports only through
 * the `ports` of a child's `network`, which needs its root-only `_create_netns`).
 */
import { VaggaError } from '../errors/vagga-error.js';

/** One published TCP port: host 127.0.0.1:`hostPort` reaches `containerPort` in the namespace. */
export interface PublishedPort {
  hostPort: number;
  containerPort: number;
}

function port(text: string, spec: string): number {
  const n = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= 65535)) {
    throw new VaggaError(`Bad --publish ${JSON.stringify(spec)}: ${JSON.stringify(text)} is not a port number (1-65535); write HOST_PORT:CONTAINER_PORT or PORT`, {
      code: 'network.bad-publish',
    });
  }
  return n;
}

/**
 * Parse one `--publish` value: `HOST:CONTAINER` or `PORT` (the same number on both sides).
 * Pure. Throws VaggaError `network.bad-publish` (exit 122) for anything else.
 */
export function parsePublish(spec: string): PublishedPort {
  const parts = spec.split(':');
  if (parts.length === 1) {
    const p = port(parts[0]!, spec);
    return { hostPort: p, containerPort: p };
  }
  if (parts.length !== 2) port(spec, spec);
  return { hostPort: port(parts[0]!, spec), containerPort: port(parts[1]!, spec) };
}

/**
 * Parse every `--publish` value in order. Pure. Throws VaggaError `network.bad-publish`
 * for a malformed value or a host port given twice.
 */
export function parsePublishList(specs: readonly string[]): PublishedPort[] {
  const out = specs.map(parsePublish);
  const seen = new Set<number>();
  for (const p of out) {
    if (seen.has(p.hostPort)) {
      throw new VaggaError(`Host port ${p.hostPort} is published twice (--publish)`, { code: 'network.bad-publish' });
    }
    seen.add(p.hostPort);
  }
  return out;
}
