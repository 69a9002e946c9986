/**
 * The page sizes a connection serves (`first`, README "GraphQL"), and the message of one out of
 * range: the same whether the validation rule (query-limits.ts) or a resolver finds it.
 */
export const PAGE_SIZE = { min: 1, max: 100 } as const;

export function pageSizeMessage(argument: string, value: number): string {
  return `${argument}: must be between ${PAGE_SIZE.min} and ${PAGE_SIZE.max}; got ${value}`;
}
