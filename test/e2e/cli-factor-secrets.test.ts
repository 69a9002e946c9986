/**
 * `jwt-oidc keys reencrypt` and the second factors' TOTP secrets and client_secret_jwt clients'
 * secrets (src/cli/keys.ts, src/users/factor-secrets.ts): sealed under a secret A, re-encrypted
 * with the list [B, A], they still give codes and authenticate once A is gone and only [B] is
 * configured — at a server started afresh with [B]. A secret that does not decrypt, of either
 * table, is named and stops the command before anything is rewritten: neither a factor, nor a
 * client, nor a signing key changes.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { generateSync } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyEncryption } from '../../src/keys/encryption.js';
import { FactorService } from '../../src/users/factors.js';
import { runCli } from '../support/cli.js';
import { query } from '../support/database.js';
import { startProvider, type TestProvider } from '../support/provider.js';
import { startTestServer, type TestServer } from '../support/server.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);

let p: TestProvider;
let restarted: TestServer | undefined;

beforeAll(async () => {
  p = await startProvider({ JWT_OIDC_KEY_ENCRYPTION_SECRET: A });
});
afterAll(async () => {
  await restarted?.close();
  await p?.close();
});

const cli = (secrets: string[], ...args: string[]) => runCli(['keys', 'reencrypt', ...args], { env: { DATABASE_URL: p.databaseUrl, JWT_OIDC_ISSUER: p.issuer, JWT_OIDC_KEY_ENCRYPTION_SECRET: secrets.join(',') } });
const secrets = () => query<{ id: string; secret: string }>(p.databaseUrl, 'select id, secret from user_factors where secret is not null order by id');
const signingKeys = () => query<{ kid: string; private_key: string }>(p.databaseUrl, 'select kid, private_key from signing_keys order by kid');
const code = (secret: string, at: number) => generateSync({ secret, epoch: Math.floor(at / 1000) });
const clientSecrets = () => query<{ id: string; sealed_secret: string }>(p.databaseUrl, 'select id, sealed_secret from clients where sealed_secret is not null order by id');

/** client_credentials at the server at `url` (its issuer `issuer`) with an assertion MACed with `secret` (client_secret_jwt). */
async function macToken(url: string, issuer: string, clientId: string, secret: string): Promise<number> {
  const now = Math.floor(Date.now() / 1000);
  const assertion = await new SignJWT({ jti: randomUUID() }).setProtectedHeader({ alg: 'HS256' }).setIssuer(clientId).setSubject(clientId).setAudience(issuer).setIssuedAt(now).setExpirationTime(now + 60).sign(new TextEncoder().encode(secret));
  const res = await fetch(`${url}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion }) });
  return res.status;
}

describe('jwt-oidc keys reencrypt and the two-step secrets', () => {
  it('MF-18 CA-16 re-encrypts them under the first secret: a server with the new secret alone still accepts their codes; one that does not decrypt stops it, nothing written', async () => {
    const factors = new FactorService({ em: p.db.orm.em, clock: { now: () => Date.now() }, sealer: p.provider!.keys.encryption });
    const user = await p.createUser();
    const started = await factors.startTotp(user, 'test');
    await factors.confirmTotp(user.id, started.id, code(started.secret, Date.now() - 30_000), 'Phone');
    // A pending enrolment's secret is re-encrypted too: it may be confirmed after the switch.
    const other = await p.createUser();
    await factors.startTotp(other, 'test');

    // A secret made with C, which is in no list: reported, and nothing is rewritten.
    const stranger = await p.createUser();
    const strayId = randomUUID();
    await query(p.databaseUrl, "insert into user_factors (id, user_id, kind, name, created_at, confirmed_at, secret) values ($1, $2, 'totp', 'Old phone', now(), now(), $3)", [strayId, stranger.id, new KeyEncryption([C]).encrypt(`user-factor:${strayId}`, Buffer.from('JBSWY3DPEHPK3PXP'))]);
    // A client_secret_jwt client sealed under A; another whose sealed secret was made with C.
    const mac = await p.createClient({ tokenEndpointAuthMethod: 'client_secret_jwt', grantTypes: ['client_credentials'] });
    const strayClient = await p.createClient({ tokenEndpointAuthMethod: 'client_secret_jwt', grantTypes: ['client_credentials'] });
    await query(p.databaseUrl, 'update clients set sealed_secret = $1 where id = $2', [new KeyEncryption([C]).encrypt(`client-secret:${strayClient.clientId}`, Buffer.from('x')), strayClient.clientId]);
    const [factorsBefore, keysBefore, clientsBefore] = [await secrets(), await signingKeys(), await clientSecrets()];
    const refused = await cli([B, A], '--json');
    expect(refused.code, refused.stderr).toBe(1);
    const { error } = JSON.parse(refused.stdout) as { error: { code: string; message: string } };
    expect(error.code).toBe('ERR_FACTOR_SECRETS');
    expect(error.message).toContain(`factor ${strayId} (totp) of user ${stranger.id}: made with a secret not in the list`);
    expect(error.message).toContain(`client ${strayClient.clientId}: made with a secret not in the list`);
    expect(error.message).toMatch(/^1 two-step secret and 1 client secret did not decrypt, so none was re-encrypted/);
    expect(await secrets()).toEqual(factorsBefore);
    expect(await clientSecrets()).toEqual(clientsBefore);
    expect(await signingKeys()).toEqual(keysBefore);

    // The client alone in the way: still nothing written.
    const removedFactor = await runCli(['users', 'remove-factor', '--username', stranger.username, '--id', strayId], { env: { DATABASE_URL: p.databaseUrl } });
    expect(removedFactor.code, removedFactor.stderr).toBe(0);
    const clientOnly = await cli([B, A], '--json');
    expect(clientOnly.code, clientOnly.stderr).toBe(1);
    expect((JSON.parse(clientOnly.stdout) as { error: { message: string } }).error.message).toMatch(/^1 client secret did not decrypt, so none was re-encrypted: client .*rotate-secret/);
    expect(await clientSecrets()).toEqual(clientsBefore);
    expect(await signingKeys()).toEqual(keysBefore);

    // Both removed (a lost phone, a retired client, as the administrator would), the rest goes through.
    const removed = await runCli(['clients', 'delete', '--id', strayClient.clientId], { env: { DATABASE_URL: p.databaseUrl } });
    expect(removed.code, removed.stderr).toBe(0);
    const done = await cli([B, A], '--json');
    expect(done.code, done.stderr).toBe(0);
    const counts = JSON.parse(done.stdout) as { reencrypted: number; reencryptedFactorSecrets: number; reencryptedClientSecrets: number };
    expect(counts.reencryptedFactorSecrets).toBe(2);
    expect(counts.reencryptedClientSecrets).toBe(1);
    expect(counts.reencrypted).toBeGreaterThan(0);
    const onB = new KeyEncryption([B]).currentSecretId;
    for (const row of await secrets()) expect(KeyEncryption.secretIdOf(row.secret)).toBe(onB);
    for (const row of await clientSecrets()) expect(KeyEncryption.secretIdOf(row.sealed_secret)).toBe(onB);
    const again = await cli([B]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.trim()).toBe('every key, two-step secret and client secret is already encrypted with the first secret');

    // A fresh start with B only: the keys open, and the app's next code signs in.
    restarted = await startTestServer({ DATABASE_URL: p.databaseUrl, JWT_OIDC_ISSUER: p.issuer, JWT_OIDC_KEY_ENCRYPTION_SECRET: B, JWT_OIDC_MIGRATE_ON_START: 'false' });
    const onlyB = new FactorService({ em: restarted.db.orm.em, clock: { now: () => Date.now() + 30_000 }, sealer: restarted.provider!.keys.encryption });
    expect(await onlyB.verifyTotp(user.id, code(started.secret, Date.now() + 30_000))).toBe(true);
    expect(await macToken(restarted.url, p.issuer, mac.clientId, mac.clientSecret!)).toBe(200);
    // …and A alone no longer opens what is stored.
    const stored = (await secrets()).find((r) => r.id === started.id)!.secret;
    expect(() => new KeyEncryption([A]).decrypt(`user-factor:${started.id}`, stored)).toThrow();
  });
});
