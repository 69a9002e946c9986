/**
 * `jwt-oidc keys reencrypt` and the second factors' TOTP secrets (src/cli/keys.ts,
 * src/users/factor-secrets.ts): enrolled under a secret A, re-encrypted with the list [B, A],
 * they still give codes once A is gone and only [B] is configured — at a server started afresh
 * with [B]. A secret that does not decrypt is named and stops the command before anything is
 * rewritten: neither a factor nor a signing key changes.
 */
import { randomUUID } from 'node:crypto';
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

describe('jwt-oidc keys reencrypt and the two-step secrets', () => {
  it('MF-18 re-encrypts them under the first secret: a server with the new secret alone still accepts their codes; one that does not decrypt stops it, nothing written', async () => {
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
    const [factorsBefore, keysBefore] = [await secrets(), await signingKeys()];
    const refused = await cli([B, A], '--json');
    expect(refused.code, refused.stderr).toBe(1);
    const { error } = JSON.parse(refused.stdout) as { error: { code: string; message: string } };
    expect(error.code).toBe('ERR_FACTOR_SECRETS');
    expect(error.message).toContain(`factor ${strayId} (totp) of user ${stranger.id}: made with a secret not in the list`);
    expect(error.message).toMatch(/^1 two-step secret did not decrypt, so none was re-encrypted/);
    expect(await secrets()).toEqual(factorsBefore);
    expect(await signingKeys()).toEqual(keysBefore);

    // Removed (a lost phone, as the administrator would), the rest goes through.
    const removed = await runCli(['users', 'remove-factor', '--username', stranger.username, '--id', strayId], { env: { DATABASE_URL: p.databaseUrl } });
    expect(removed.code, removed.stderr).toBe(0);
    const done = await cli([B, A], '--json');
    expect(done.code, done.stderr).toBe(0);
    const counts = JSON.parse(done.stdout) as { reencrypted: number; reencryptedFactorSecrets: number };
    expect(counts.reencryptedFactorSecrets).toBe(2);
    expect(counts.reencrypted).toBeGreaterThan(0);
    const onB = new KeyEncryption([B]).currentSecretId;
    for (const row of await secrets()) expect(KeyEncryption.secretIdOf(row.secret)).toBe(onB);
    const again = await cli([B]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.trim()).toBe('every key, two-step secret and client secret is already encrypted with the first secret');

    // A fresh start with B only: the keys open, and the app's next code signs in.
    restarted = await startTestServer({ DATABASE_URL: p.databaseUrl, JWT_OIDC_ISSUER: p.issuer, JWT_OIDC_KEY_ENCRYPTION_SECRET: B, JWT_OIDC_MIGRATE_ON_START: 'false' });
    const onlyB = new FactorService({ em: restarted.db.orm.em, clock: { now: () => Date.now() + 30_000 }, sealer: restarted.provider!.keys.encryption });
    expect(await onlyB.verifyTotp(user.id, code(started.secret, Date.now() + 30_000))).toBe(true);
    // …and A alone no longer opens what is stored.
    const stored = (await secrets()).find((r) => r.id === started.id)!.secret;
    expect(() => new KeyEncryption([A]).decrypt(`user-factor:${started.id}`, stored)).toThrow();
  });
});
