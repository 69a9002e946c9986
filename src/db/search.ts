/**
 * The administration's search box over a few text columns, as one SQL condition an index can
 * serve (docs/OPERATIONS.md "Search indexes"). Case is ignored; `%`, `_` and `\` in the term are
 * literal (escaped for LIKE, whose default escape character is the backslash).
 *
 * - A term of 3 characters or more matches anywhere in a column: `column ILIKE '%term%'`, served
 *   by the column's pg_trgm GIN index (`<table>_<column>_trgm`), which finds a substring from its
 *   trigrams.
 * - A shorter term has no trigram to look up (a trigram index would read every row), so it
 *   matches at the start of a column: `lower(column) LIKE lower('term%')`, served by the btree on
 *   `lower(column) text_pattern_ops` (`<table>_<column>_prefix`), whose range scan finds the prefix
 *   whatever the database's collation.
 */

/** Fewer characters than a trigram: matched as a prefix. */
export const SHORTEST_SUBSTRING_TERM = 3;

export interface SearchCondition {
  /** A parenthesised condition with `?` placeholders, over the given (trusted, never input) columns. */
  sql: string;
  params: string[];
}

const escapeLike = (text: string) => text.replace(/[\\%_]/g, '\\$&');

/** The condition that `term` matches one of `columns` (snake_case names of one table). */
export function searchCondition(columns: readonly string[], term: string): SearchCondition {
  // Characters, not UTF-16 units: "é" or an emoji counts once, as pg_trgm counts them.
  if ([...term].length >= SHORTEST_SUBSTRING_TERM) {
    const pattern = `%${escapeLike(term)}%`;
    return { sql: `(${columns.map((c) => `${c} ilike ?`).join(' or ')})`, params: columns.map(() => pattern) };
  }
  const pattern = `${escapeLike(term)}%`;
  return { sql: `(${columns.map((c) => `lower(${c}) like lower(?)`).join(' or ')})`, params: columns.map(() => pattern) };
}
