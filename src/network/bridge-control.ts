/**
 * `vagga _network ...` from inside the children of a networked `!Supervise` run: the
 * children's containers have no vagga (nor node), so each gets a small POSIX sh client,
 * `vagga`, in a directory bound at CONTROL_DIR (on bwrap's fresh /dev, so any root works)
 * and appended to its PATH. The client sends its arguments to the supervising vagga through
 * a FIFO (`requests`) and reads the answer from a FIFO of its own; vagga (serveControl)
 * plans the partition (partition.ts), applies it (bridge-hub.ts) and answers `@out`/`@err`
 * lines and `@exit N`. Only busybox-level tools are needed inside (mkfifo, mktemp, rm, od,
 * tr). Each argument travels as `x` and its bytes in hex, so any argument (a `_network run`
 * command line) survives the space-separated request line.
 */
import { constants, mkdirSync, openSync, closeSync, chmodSync, writeFileSync, writeSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { Socket } from 'node:net';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';

/** Where the control directory is bound in the children. */
export const CONTROL_DIR = '/dev/.vagga-net';

/** The client: `vagga _network ARGS...` inside a child. */
export function clientScript(dir: string = CONTROL_DIR): string {
  return `#!/bin/sh
# vagga's client for \`vagga _network\` inside the children of a networked !Supervise run.
case "$1" in
  _network) shift ;;
  *) echo "vagga: only \\\`vagga _network ...\\\` can be used inside the children of this run" >&2; exit 121 ;;
esac
# Each argument travels hex-encoded ("x" and its bytes), so any argument survives the line.
req=
for a in "$@"; do
  h=$(printf '%s' "$a" | od -An -v -tx1 | tr -d ' \\n') || exit 1
  req="$req x$h"
done
r=$(mktemp -u "${dir}/reply.XXXXXXXX") || exit 1
mkfifo -m 600 "$r" || exit 1
exec 3<>"$r"
printf '%s\\n' "\${r##*/}$req" >"${dir}/requests"
code=1
while IFS= read -r line <&3; do
  case "$line" in
    '@exit '*) code=\${line#@exit }; break ;;
    '@out '*) printf '%s\\n' "\${line#@out }" ;;
    '@err '*) printf '%s\\n' "\${line#@err }" >&2 ;;
  esac
done
exec 3<&-
rm -f "$r"
exit "$code"
`;
}

/** An answer to one request. */
export interface ControlAnswer {
  stdout?: string;
  stderr?: string;
  status: number;
}

/** Where a request came from. */
export interface ControlRequest {
  /** The path of the client's reply FIFO as the child sees it (under CONTROL_DIR). */
  replyPath: string;
}

/** Decode one request word (`x` and hex bytes); undefined when it is not one. */
export function decodeWord(word: string): string | undefined {
  if (!/^x(?:[0-9a-f]{2})*$/.test(word)) return undefined;
  return Buffer.from(word.slice(1), 'hex').toString('utf8');
}

/** A running control server. */
export interface ControlServer {
  close(): void;
}

/**
 * Create the control directory `dir` (mode 1777: the children's users may be any of the
 * run's ids) with the client and the request FIFO, and answer each request with `handle`
 * (its arguments, the client's words after `_network`, decoded; and where its reply FIFO is
 * inside the child, which identifies the asking process, bridge-exec.ts). Requests are
 * answered one at a time; a malformed request is ignored. `clientDir` is where the clients see
 * `dir` (CONTROL_DIR in the children).
 */
export function serveControl(dir: string, handle: (args: string[], request: ControlRequest) => Promise<ControlAnswer>, clientDir: string = CONTROL_DIR): ControlServer {
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o1777);
  writeFileSync(join(dir, 'vagga'), clientScript(), { mode: 0o755 });
  const fifo = join(dir, 'requests');
  const made = spawnSync('mkfifo', ['-m', '666', fifo]);
  if (made.status !== 0) throw new Error(`mkfifo ${fifo}: ${String(made.stderr).trim()}`);
  chmodSync(fifo, 0o666);
  // Read and write: the FIFO never reaches EOF between clients.
  const fd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
  const socket = new Socket({ fd, readable: true, writable: false });
  socket.on('error', () => {});
  let queue = Promise.resolve();
  createInterface({ input: socket }).on('line', (line) => {
    const [reply, ...words] = line.split(' ').filter((w) => w !== '');
    if (!reply || !/^reply\.[A-Za-z0-9]+$/.test(reply)) return;
    const args = words.map(decodeWord);
    if (args.some((a) => a === undefined)) return;
    queue = queue.then(async () => {
      const answer = await handle(args as string[], { replyPath: `${clientDir}/${reply}` }).catch((err: unknown): ControlAnswer => ({ stderr: `${(err as Error).message}\n`, status: 1 }));
      let out: number;
      try {
        // The client holds its FIFO open for reading and writing, so this does not block.
        out = openSync(join(dir, basename(reply)), constants.O_WRONLY | constants.O_NONBLOCK);
      } catch {
        return; // The client is gone.
      }
      const text = [
        ...lines(answer.stdout).map((l) => `@out ${l}`),
        ...lines(answer.stderr).map((l) => `@err ${l}`),
        `@exit ${answer.status}`,
      ].join('\n');
      try {
        writeSync(out, `${text}\n`);
      } catch {
        // The client is gone.
      } finally {
        closeSync(out);
      }
    });
  });
  return {
    close() {
      socket.destroy();
    },
  };
}

function lines(text: string | undefined): string[] {
  if (!text) return [];
  return text.replace(/\n$/, '').split('\n');
}
