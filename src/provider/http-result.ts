/** What a protocol endpoint answers, independent of the web framework that sends it. */
export interface HttpResult {
  status: number;
  headers: Record<string, string>;
  body?: string;
}

/** Weak comparison of `If-None-Match` against an ETag (RFC 9110 §13.1.2). */
export function notModified(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  const bare = etag.replace(/^W\//, '');
  return ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === bare);
}
