/**
 * Plain-language hints for the `yaml` library's syntax errors (by its error `code`, see
 * the library's documentation of YAMLError codes). Most of them come from indentation
 * mistakes in vagga.yaml; the raw message stays in the error, the hint says what to check.
 */

const HINTS: Record<string, string> = {
  BAD_INDENT:
    'The indentation is inconsistent here: keys of one mapping (and items of one list) must start at the same column.',
  BLOCK_AS_IMPLICIT_KEY:
    'A key seems to have a mapping or list on the same line (e.g. `a: b: c`), or this line is indented differently from the lines around it. Put the nested value on its own, more indented lines.',
  MULTILINE_IMPLICIT_KEY:
    'A line without `key:` sits among mapping entries: check the indentation of this line and the one before it, and that each key ends with a colon.',
  MISSING_CHAR:
    'Something is missing here: a `:` after a key, a `-` before a list item, or a closing quote or bracket. Check the indentation of the lines before.',
  TAB_AS_INDENT: 'YAML does not allow tabs for indentation: indent with spaces.',
  UNEXPECTED_TOKEN: 'Check the indentation and quoting on this line (a value starting with `*`, `&`, `!`, `@` or `` ` `` may need quotes).',
  BLOCK_IN_FLOW: 'Inside `[...]` or `{...}` everything must be written inline: use either brackets or an indented list, not both.',
  DUPLICATE_KEY: 'A key is written twice in the same mapping.',
};

/** A hint for a `yaml` error with `code`, or undefined for codes without one. */
export function yamlErrorHint(code: string): string | undefined {
  return Object.hasOwn(HINTS, code) ? HINTS[code] : undefined;
}
