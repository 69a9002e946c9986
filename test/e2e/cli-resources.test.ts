/** `jwt-oidc resources …` against a running provider: a registered resource is at once a valid `resource` (RFC 8707). */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { expectNothingPersisted, startProvider, tokenRequest, type TestProvider } from '../support/provider.js';

let provider: TestProvider;
let env: Record<string, string>;
let svc: { clientId: string; clientSecret?: string };
beforeAll(async () => {
  provider = await startProvider({ JWT_OIDC_SIGNATURE_ALG: 'ES256' });
  env = { DATABASE_URL: provider.databaseUrl, JWT_OIDC_KEY_ENCRYPTION_SECRET: 't'.repeat(40), JWT_OIDC_SIGNATURE_ALG: 'ES256' };
  svc = await provider.createClient({ grantTypes: ['client_credentials'] });
});
afterAll(() => provider?.close());

const cc = (resource: string, scope: string) => tokenRequest(provider, { grant_type: 'client_credentials', scope, resource }, svc);

describe('jwt-oidc resources', () => {
  it('creates, lists, updates and deletes a resource; the provider issues its tokens at once', async () => {
    const id = 'https://orders.example/api';
    const created = await runCli(['resources', 'create', '--id', id, '--scope', 'orders:read', 'orders:write', '--access-token-lifetime', '300', '--alg', 'RS256', '--json'], { env });
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ id, scopes: ['orders:read', 'orders:write'], accessTokenLifetime: 300, alg: 'RS256' });

    const res = await cc(id, 'orders:read');
    expect(res.status).toBe(200);
    const at = (await res.json()) as { access_token: string; expires_in: number };
    expect(decodeJwt(at.access_token)).toMatchObject({ aud: id, scope: 'orders:read' });
    expect(at.expires_in).toBe(300);

    const list = await runCli(['resources', 'list', '--json'], { env });
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ id, scopes: ['orders:read', 'orders:write'] })]);
    const human = await runCli(['resources', 'list'], { env });
    expect(human.stdout).toContain(`${id}  orders:read orders:write  [lifetime 300s, RS256]`);

    const updated = await runCli(['resources', 'update', '--id', id, '--scope', 'orders:read', '--default-access-token-lifetime', '--json'], { env });
    expect(updated.code, updated.stderr).toBe(0);
    expect(JSON.parse(updated.stdout)).toMatchObject({ id, scopes: ['orders:read'], accessTokenLifetime: null, alg: 'RS256' });
    expect(await (await cc(id, 'orders:write')).json()).toMatchObject({ error: 'invalid_scope' });

    const deleted = await runCli(['resources', 'delete', '--id', id, '--json'], { env });
    expect(JSON.parse(deleted.stdout)).toEqual({ deleted: id });
    expect(await (await cc(id, 'orders:read')).json()).toMatchObject({ error: 'invalid_target' });
    expect((await runCli(['resources', 'list'], { env })).stdout.trim()).toBe('no resources');
  });

  it('RI-05: refuses fragment and relative identifiers, the provider\'s scopes and foreign algorithms with exit 2, ∅DB', async () => {
    for (const [args, field] of [
      [['--id', 'https://api.example/#x', '--scope', 'a'], 'id'],
      [['--id', '/api', '--scope', 'a'], 'id'],
      [['--id', 'https://api.example/', '--scope', 'admin'], 'scopes'],
      [['--id', 'https://api.example/', '--scope', 'a', '--alg', 'PS256'], 'alg'],
      [['--id', 'https://api.example/', '--scope', 'a', '--access-token-lifetime', '0'], 'accessTokenLifetime'],
    ] as const) {
      const res = await expectNothingPersisted(provider, () => runCli(['resources', 'create', ...args, '--json'], { env }));
      expect(res.code, res.stdout).toBe(2);
      const error = JSON.parse(res.stdout).error;
      expect(error.code).toBe('ERR_RESOURCE_INVALID');
      expect(error.message.startsWith(`${field}:`), error.message).toBe(true);
    }
  });

  it('an existing id, an unknown one, and a missing --scope', async () => {
    await runCli(['resources', 'create', '--id', 'urn:example:dup', '--scope', 'x'], { env });
    const again = await runCli(['resources', 'create', '--id', 'urn:example:dup', '--scope', 'x', '--json'], { env });
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout).error.code).toBe('ERR_RESOURCE_EXISTS');
    const unknown = await runCli(['resources', 'update', '--id', 'urn:example:none', '--scope', 'x', '--json'], { env });
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stdout).error.code).toBe('ERR_RESOURCE_NOT_FOUND');
    const gone = await runCli(['resources', 'delete', '--id', 'urn:example:none'], { env });
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('no resource "urn:example:none"');
    const noScope = await runCli(['resources', 'create', '--id', 'urn:example:y'], { env });
    expect(noScope.code).toBe(2);
    expect(noScope.stderr).toContain('--scope is required');
  });
});
