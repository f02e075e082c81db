/**
 * Fixtures shared by the end-to-end tests on the busybox base (`bb`, unpacked from the
 * harness's busybox.tar): a free TCP port, the project YAML (or its containers head), two
 * SIGINT-trapping supervised children and a project with `bb` built.
 */
import { strict as assert } from 'node:assert';
import { readdirSync, lstatSync, statSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { makeProject, show, vagga } from './harness.js';

/** A TCP port on 127.0.0.1 nobody listens on right now (bound to port 0, then closed). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/**
 * The head of a vagga.yaml (leading and trailing newline): `containers:` with container `bb`
 * whose first setup step is `!Tar { url: ./busybox.tar }`. Append more steps of `bb`
 * (`    - !Step ...`, 4-space indent), its other fields, further containers (2-space indent)
 * and `commands:`.
 */
export const BUSYBOX_CONTAINERS_HEAD = `
containers:
  bb:
    setup:
    - !Tar { url: ./busybox.tar }
`;

/** vagga.yaml text with container `bb` (busybox.tar); `commands` is YAML under `commands:` (2-space indent). */
export const busyboxYaml = (commands: string): string => `${BUSYBOX_CONTAINERS_HEAD}commands:
${commands}`;

/**
 * YAML of two `!Supervise` children (6-space indent, for under `children:`), `one` and `two`,
 * in container `bb`: each traps SIGINT (`one` prints `one-got-INT` and exits 0, `two` prints
 * `two-got-INT` and exits 3), prints `one-ready`/`two-ready` and loops; their command lines
 * end in `# <tok>` so the test finds their processes. No leading or trailing newline.
 */
export const intTrappingChildren = (tok: string): string => [
  '      one: !Command',
  '        container: bb',
  `        run: "trap 'echo one-got-INT; exit 0' INT; echo one-ready; while :; do sleep 0.1; done # ${tok}"`,
  '      two: !Command',
  '        container: bb',
  `        run: "trap 'echo two-got-INT; exit 3' INT; echo two-ready; while :; do sleep 0.1; done # ${tok}"`,
].join('\n');

/**
 * A staged project (harness makeProject, stage dir `name`) whose vagga.yaml is `yaml`, with
 * container `bb` built by `vagga _build bb` (asserted to exit 0, killed after 300 s).
 * Returns the project dir.
 */
export async function makeBuiltProject(yaml: string, name: string): Promise<string> {
  const dir = await makeProject({ 'vagga.yaml': yaml }, { name });
  const r = await vagga(dir, ['_build', 'bb'], { timeoutMs: 300_000 });
  assert.equal(r.status, 0, show(r));
  return dir;
}

/**
 * A staged project (harness makeProject, stage dir `name`) whose vagga.yaml is
 * busyboxYaml(`commands`), with `bb` built (makeBuiltProject). Returns the project dir.
 */
export async function makeBusyboxProject(commands: string, name: string): Promise<string> {
  return makeBuiltProject(busyboxYaml(commands), name);
}

/**
 * Every regular file under `dir` (recursively) -> `size:mtimeMs:inode`, so a new or changed
 * file shows when two snapshots are compared. A missing or unreadable dir gives an empty map.
 */
export function fileSnapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      let st;
      try {
        // lstat: a symlink is not followed (a container's symlink loop kept in the build
        // cache's layers, `up -> ..`, would otherwise recurse without end).
        st = lstatSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) out.set(p, `${st.size}:${st.mtimeMs}:${st.ino}`);
    }
  };
  walk(dir);
  return out;
}
