/**
 * Schema fields for path filters shared by `!Copy`, `!Depends` (and `!Build` `rules`):
 * `ignore-regex`, `include-regex`, `rules`, `no-default-rules` (vagga-inventory.md §2.1).
 */
import { bool, def, list, opt, str } from '../config/schema.js';

/** Struct fields of the regex/rules filter. */
export const filterFields = {
  'ignore-regex': opt(str()),
  'include-regex': opt(str()),
  rules: def(list(str()), [] as string[]),
  'no-default-rules': opt(bool()),
};
