/**
 * One data directory per mode, as installed: the CLI refuses to run a mode in a directory that
 * another mode made, before it starts anything, with a message that names the owner and the way out.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

const root = mkdtempSync(join(tmpdir(), 'jwt-oidc-data-dirs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const CLIENT = { JWT_OIDC_TYPE: 'client', JWT_OIDC_DISCOVERY_ENDPOINT: 'http://127.0.0.1:9/', JWT_OIDC_CLIENT_ID: 'app', DATABASE_URL: undefined };

describe('a data directory per mode', () => {
  it('the client mode refuses the provider’s directory, in one line', async () => {
    const dir = join(root, 'shared');
    // The provider claims it (its generated key encryption secret lives there).
    const provider = await runCli(['keys', 'status'], { env: { JWT_OIDC_DATA_DIR: dir, DATABASE_URL: undefined, JWT_OIDC_KEY_ENCRYPTION_SECRET: undefined } });
    expect(readFileSync(join(dir, '.jwt-oidc-mode'), 'utf8').trim(), provider.stderr).toBe('provider');

    const client = await runCli(['users', 'list'], { env: { ...CLIENT, JWT_OIDC_DATA_DIR: dir } });
    expect(client.code).not.toBe(0);
    expect(client.stderr).toContain(`${dir} holds the local state of the provider mode`);
    expect(client.stderr).toContain('default .data/client');
    expect(client.stderr).not.toMatch(/\n\s+at /); // one message, no stack
  });

  it('the fake provider refuses it too', async () => {
    const dir = join(root, 'shared');
    const fake = await runCli(['serve'], { env: { JWT_OIDC_TYPE: 'fake', JWT_OIDC_CLIENT_ID: 'spa', JWT_OIDC_DATA_DIR: dir, DATABASE_URL: undefined, JWT_OIDC_KEY_ENCRYPTION_SECRET: undefined, PORT: '0' } });
    expect(fake.code).not.toBe(0);
    expect(fake.stderr).toContain('holds the local state of the provider mode');
    expect(existsSync(join(dir, 'fake-keys.json'))).toBe(false);
  });
});
