/**
 * One way to each table (docs/ARCHITECTURE.md "Layers"): the provider's grants, codes, refresh
 * tokens, revoked tokens and sessions are read and written by their store only — by its SQL or
 * its entities, never by a second path elsewhere. The entities stay the schema's definition
 * (migrations are generated from them), which the ORM configuration loads.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';

const OWNERS: Record<string, { tables: string[]; entities: string[]; owner: string }> = {
  grants: { tables: ['grants', 'authorization_codes', 'refresh_tokens', 'revoked_tokens'], entities: ['grant', 'authorization-code', 'refresh-token', 'revoked-token'], owner: 'src/provider/stores/grant-store.ts' },
  sessions: { tables: ['sessions'], entities: ['session'], owner: 'src/provider/stores/session-store.ts' },
  audit: { tables: ['audit_events'], entities: ['audit-event'], owner: 'src/audit-store.ts' },
  accountTokens: { tables: ['account_tokens'], entities: ['account-token'], owner: 'src/users/account-tokens.ts' },
  factors: { tables: ['user_factors'], entities: ['user-factor'], owner: 'src/users/factor-store.ts' },
  recoveryCodes: { tables: ['recovery_codes'], entities: ['recovery-code'], owner: 'src/users/recovery-codes.ts' },
  resources: { tables: ['resources'], entities: ['resource'], owner: 'src/provider/stores/resource-store.ts' },
  pushedRequests: { tables: ['pushed_authorization_requests'], entities: ['pushed-authorization-request'], owner: 'src/provider/stores/pushed-request-store.ts' },
  assertions: { tables: ['client_assertions'], entities: ['client-assertion'], owner: 'src/provider/stores/assertion-store.ts' },
  deviceRequests: { tables: ['device_requests'], entities: ['device-request'], owner: 'src/provider/stores/device-store.ts' },
  dpopProofs: { tables: ['dpop_proofs'], entities: ['dpop-proof'], owner: 'src/provider/stores/dpop-proof-store.ts' },
};
/** Where the schema is defined and loaded: not a way to the rows. */
const SCHEMA = [/^src\/db\/entities\//, /^src\/db\/orm-config\.ts$/];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('one way to each table', () => {
  for (const [domain, { tables, entities, owner }] of Object.entries(OWNERS)) {
    it(`the ${domain} tables are reached through ${owner} only`, () => {
      const statement = new RegExp(`\\b(from|into|update|join|table)\\s+"?(${tables.join('|')})\\b`, 'i');
      const entity = new RegExp(`entities/(${entities.join('|')})\\.js'`);
      const found: string[] = [];
      for (const file of files(join(ROOT, 'src'))) {
        const path = relative(ROOT, file);
        if (path === owner || SCHEMA.some((s) => s.test(path))) continue;
        readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
          if (statement.test(line) || entity.test(line)) found.push(`${path}:${i + 1}: ${line.trim()}`);
        });
      }
      expect(found).toEqual([]);
    });
  }

  it('would notice a second way (the check itself can fail)', () => {
    const statement = /\b(from|into|update|join|table)\s+"?(grants)\b/i;
    expect(statement.test("await em.execute('update grants set revoked_at = now()')")).toBe(true);
    expect(statement.test('the grants of a user')).toBe(false);
  });
});
