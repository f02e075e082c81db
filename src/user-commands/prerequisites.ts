/**
 * Ordering of commands and their `prerequisites` (inventory §1.6, §3.3 prerequisites.bats):
 * depth-first, each prerequisite once, cycle-safe, and the commands the user named keep
 * their order (a named command that is also someone's prerequisite is not pulled forward).
 */

/**
 * Return the run order for the user's `commands` (in their order) given a lookup of each
 * command's direct prerequisites (unknown names: return []). Pure.
 *
 * Every user-named command appears exactly where the user put it, even if named twice
 * (`-m d d d` runs d three times); a prerequisite runs once, before the first command that
 * needs it; cycles are cut at the command already being visited; a prerequisite the user
 * also names later is not visited early (Vagga's launcher/prerequisites.rs semantics).
 * Example (tests/prerequisites): two->[one], three->[one], four->[two, three];
 * `-m three two four` -> `one three two four`.
 */
export function orderWithPrerequisites(commands: readonly string[], prerequisitesOf: (name: string) => readonly string[]): string[] {
  // `done`: already placed (user-named commands count as placed: they run where named).
  const done = new Set<string>(commands);
  // `active`: commands being visited, plus user-named ones not processed yet (Vagga's
  // "stackset"): a prerequisite that the user names later is left to its own turn.
  const active = new Set<string>(commands);
  const result: string[] = [];
  const visit = (name: string): void => {
    for (const pre of prerequisitesOf(name)) {
      if (active.has(pre)) continue;
      active.add(pre);
      visit(pre);
      active.delete(pre);
      if (!done.has(pre)) {
        done.add(pre);
        result.push(pre);
      }
    }
  };
  for (const top of commands) {
    active.add(top);
    visit(top);
    active.delete(top);
    result.push(top);
  }
  return result;
}
