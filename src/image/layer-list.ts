/**
 * The member list of one OCI layer made from a build-cache layer (an overlayfs upper dir,
 * src/builder/layer-store.ts), for GNU tar's `--no-recursion -T LIST` (pure).
 *
 * overlayfs marks a deleted name with a whiteout (a 0/0 character device) and a directory
 * that hides everything below it with the `user.overlay.opaque` xattr (kernel docs,
 * filesystems/overlayfs.rst, "whiteouts and opaque directories"; `userxattr` mounts in a user
 * namespace). The OCI image spec (layer.md, "Whiteouts") says the same with empty files:
 * `.wh.NAME` for a deleted NAME and `.wh..wh..opq` in an opaque directory, and asks that
 * whiteouts come before their siblings. So the list walks the upper dir in name order, leaves
 * the character devices out and puts, first in each directory, the marker files, which are
 * taken from a separate marker tree (tar's `--directory=` lines switch between the two).
 */

/** Where the sandbox shows the layer's upper dir and the marker tree. */
export const LAYER_INSIDE = '/vagga/layer';
export const MARKERS_INSIDE = '/vagga/markers';

/** The opaque-directory marker of the OCI spec. */
export const OPAQUE_MARKER = '.wh..wh..opq';

/** One member of the upper dir as `find` lists it. */
export interface UpperEntry {
  /** `./a/b` (relative to the upper dir; `.` is the dir itself). */
  path: string;
  /** A character device: an overlayfs whiteout. */
  whiteout: boolean;
}

/** What the tar list needs. */
export interface LayerList {
  /** The lines of tar's `-T` file (each ends with `\n`), names escaped for tar's unquoting. */
  text: string;
  /** Marker files to create in the marker tree (`./a/.wh.b`, `./a/.wh..wh..opq`). */
  markers: string[];
  /** Members (markers included), for reports. */
  count: number;
}

/**
 * Parse `find . -mindepth 1 \( -type c -printf 'w%p\0' \) -o -printf 'e%p\0'` output
 * (NUL-terminated records, a type letter then the path). Throws Error on a malformed record.
 */
export function parseFindOutput(out: Buffer): UpperEntry[] {
  const entries: UpperEntry[] = [];
  let start = 0;
  for (let i = 0; i < out.length; i++) {
    if (out[i] !== 0) continue;
    const rec = out.subarray(start, i).toString('utf8');
    start = i + 1;
    if (rec.length < 2 || (rec[0] !== 'w' && rec[0] !== 'e')) throw new Error(`Internal error: unexpected find output ${JSON.stringify(rec)}`);
    entries.push({ path: rec.slice(1), whiteout: rec[0] === 'w' });
  }
  return entries;
}

/**
 * The directories named in `getfattr -R -P -h --absolute-names -d -m '^user\.overlay\.opaque$'`
 * output whose value is `"y"` (attr's getfattr(1) text format: `# file: NAME` lines, names
 * with octal escapes `\ooo` for bytes it does not print as they are).
 */
export function parseOpaqueDirs(text: string): Set<string> {
  const dirs = new Set<string>();
  let file: string | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('# file: ')) file = unescapeOctal(line.slice('# file: '.length));
    else if (file !== undefined && /^user\.overlay\.opaque="y"$/.test(line)) dirs.add(file);
  }
  return dirs;
}

function unescapeOctal(s: string): string {
  if (!s.includes('\\')) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const m = s[i] === '\\' ? /^[0-7]{3}/.exec(s.slice(i + 1)) : null;
    if (m) {
      bytes.push(parseInt(m[0], 8));
      i += 3;
    } else {
      bytes.push(...Buffer.from(s[i]!, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** A name as a line of tar's `-T` file: tar unquotes `\\` and `\n` (GNU tar, `--unquote`). */
function listLine(name: string): string {
  return `${name.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n`;
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

interface Dir {
  children: Map<string, Dir | null>;
  whiteouts: string[];
}

/**
 * The tar list of an upper dir with `entries` and `opaque` directories: `.` first, then
 * depth first; in each directory its opaque marker, its whiteout markers (name order), then
 * its members in byte order of their names. The contents of the top-level directories
 * `excludeContent` are left out (as in a root export, tar-args.ts), the directories kept.
 */
export function layerTarList(entries: readonly UpperEntry[], opaque: ReadonlySet<string>, excludeContent: readonly string[]): LayerList {
  const root: Dir = { children: new Map(), whiteouts: [] };
  const excluded = new Set(excludeContent);
  for (const e of entries) {
    const parts = e.path.split('/').slice(1);
    if (parts.length === 0) continue;
    if (parts.length > 1 && excluded.has(parts[0]!)) continue;
    let dir = root;
    for (const p of parts.slice(0, -1)) {
      let next = dir.children.get(p);
      if (!next) {
        next = { children: new Map(), whiteouts: [] };
        dir.children.set(p, next);
      }
      dir = next;
    }
    const name = parts[parts.length - 1]!;
    if (e.whiteout) dir.whiteouts.push(name);
    else if (!dir.children.has(name)) dir.children.set(name, null);
  }
  let text = '';
  const markers: string[] = [];
  let count = 0;
  let inLayer = true;
  const emit = (path: string, marker: boolean) => {
    if (marker !== !inLayer) {
      text += `--directory=${marker ? MARKERS_INSIDE : LAYER_INSIDE}\n`;
      inLayer = !marker;
    }
    text += listLine(path);
    count++;
    if (marker) markers.push(path);
  };
  text += `--directory=${LAYER_INSIDE}\n`;
  const walk = (dir: Dir, path: string) => {
    if (opaque.has(path)) emit(`${path}/${OPAQUE_MARKER}`, true);
    for (const w of [...dir.whiteouts].sort(compareBytes)) emit(`${path}/.wh.${w}`, true);
    for (const name of [...dir.children.keys()].sort(compareBytes)) {
      // A member without members in this layer is null (a file, or a dir whose contents are
      // all below): walking it as an empty dir still emits its opaque marker.
      const child = dir.children.get(name) ?? { children: new Map(), whiteouts: [] };
      emit(`${path}/${name}`, false);
      walk(child, `${path}/${name}`);
    }
  };
  emit('.', false);
  walk(root, '.');
  return { text, markers, count };
}
