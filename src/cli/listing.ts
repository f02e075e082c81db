/**
 * Command listings, byte-for-byte as Vagga prints them (inventory §2.13, §4 "Listing";
 * Vagga's launcher/list.rs): the grouped list of a bare `vagga` (stderr) and `vagga _list`
 * (stdout). Pure: returns the text.
 */

/** What a listing needs to know about one command. */
export interface ListedCommand {
  description?: string;
  aliases: readonly string[];
  group?: string;
}

/** A built-in shown by `_list --all`/`--hidden`. */
export interface ListedBuiltin {
  name: string;
  summary: string;
}

/** Names in Vagga's order (a BTreeMap: by code unit, which equals byte order for ASCII names). */
function sortedNames(commands: Record<string, ListedCommand>): string[] {
  return Object.keys(commands).sort();
}

/** Rust's str::lines(): split on \n, drop one trailing empty piece, strip a final \r per line. */
function lines(text: string): string[] {
  const parts = text.split('\n');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/**
 * `name` padded to 19 columns plus one space (or a newline and `indent` when longer than
 * 19), then the description; each further line of a multi-line description starts on a new
 * line with `indent`.
 *
 * Deliberate difference from Vagga: Vagga writes a newline and `indent` after *every* line
 * of a multi-line description, so such an entry is followed by a line holding only spaces
 * (before `(aliases: ...)` or the next command). Here lines are joined instead; output for
 * single-line descriptions (the only kind Vagga's tests pin) is byte-identical.
 */
function nameAndDescription(name: string, description: string, indent: string): string {
  const head = name.length > 19 ? `${name}\n${indent}` : `${name.padEnd(19)} `;
  return head + (description.includes('\n') ? lines(description).join(`\n${indent}`) : description);
}

/**
 * The bare-`vagga` listing: commands in sorted order, a section per `group` in order of
 * first appearance (`Available commands` when none), a blank line between sections,
 * `_`-names omitted, aliases not shadowed by a real command on a 24-space-indented line.
 */
export function formatCommandGroups(commands: Record<string, ListedCommand>): string {
  const names = sortedNames(commands);
  const groups: (string | undefined)[] = [];
  for (const name of names) {
    const g = commands[name].group;
    if (!groups.includes(g)) groups.push(g);
  }
  const indent = ' '.repeat(24);
  let out = '';
  groups.forEach((group, i) => {
    if (i > 0) out += '\n';
    out += `${group ?? 'Available commands'}:\n`;
    for (const name of names) {
      const cmd = commands[name];
      if (name.startsWith('_') || cmd.group !== group) continue;
      out += '    ' + (cmd.description !== undefined ? nameAndDescription(name, cmd.description, indent) : name);
      const aliases = cmd.aliases.filter((a) => !Object.hasOwn(commands, a));
      if (aliases.length > 0) out += `\n${indent}(aliases: ${aliases.join(', ')})`;
      out += '\n';
    }
  });
  return out;
}

/** Options of `_list` that shape the text. */
export interface ListOptions {
  /** `--all`/`--hidden`: include `_`-names (user and built-in). */
  hidden: boolean;
  /** False with `--no-aliases`. */
  aliases: boolean;
  /** `--zsh`: `name:first description line`. */
  zsh: boolean;
}

/**
 * The `_list` text: each command (then the built-ins) as `name` padded to 20 columns and
 * its description, each alias not shadowed by a real command as its own line in the same
 * format; `_`-names only with `hidden`.
 */
export function formatCommandList(commands: Record<string, ListedCommand>, builtins: readonly ListedBuiltin[], opts: ListOptions): string {
  const entries: { name: string; aliases: readonly string[]; description: string }[] = sortedNames(commands).map((name) => ({
    name,
    aliases: opts.aliases ? commands[name].aliases : [],
    description: commands[name].description ?? '',
  }));
  for (const b of builtins) entries.push({ name: b.name, aliases: [], description: b.summary });
  const indent = ' '.repeat(20);
  let out = '';
  for (const entry of entries) {
    if (entry.name.startsWith('_') && !opts.hidden) continue;
    const names = [entry.name, ...entry.aliases.filter((a) => !Object.hasOwn(commands, a))];
    for (const name of names) {
      if (name.startsWith('_') && !opts.hidden) continue;
      if (opts.zsh) out += `${name}:${lines(entry.description)[0] ?? ''}\n`;
      else out += `${nameAndDescription(name, entry.description, indent)}\n`;
    }
  }
  return out;
}
