/** How long a fetched jwks_uri set is kept (src/provider/token/client-jwks.ts; docs/SECURITY.md CA-10). */
import { describe, expect, it } from 'vitest';
import { JWKS_CACHE, lifetime } from '../../src/provider/token/client-jwks.js';

describe('lifetime of a cached JWK Set', () => {
  it('follows max-age (less Age), else Expires − Date, else the default; within the floor and the ceiling', () => {
    expect(lifetime({ cacheControl: 'public, max-age=600' })).toBe(600_000);
    expect(lifetime({ cacheControl: 'max-age=600', age: '100' })).toBe(500_000);
    expect(lifetime({ expires: 'Thu, 01 Jan 2026 00:10:00 GMT', date: 'Thu, 01 Jan 2026 00:00:00 GMT' })).toBe(600_000);
    expect(lifetime({})).toBe(JWKS_CACHE.defaultMs);
    expect(lifetime({ cacheControl: 'no-store' })).toBe(JWKS_CACHE.floorMs);
    expect(lifetime({ cacheControl: 'max-age=0' })).toBe(JWKS_CACHE.floorMs);
    expect(lifetime({ cacheControl: 'max-age=99999999' })).toBe(JWKS_CACHE.ceilingMs);
  });
});
