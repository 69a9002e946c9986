/**
 * The README's "Device sign-in" example, run as printed: its ```js block is taken from README.md
 * (never copied here), written beside the checkout's node_modules so that `openid-client`
 * resolves, and run with node in a child process against a started provider, with ISSUER and
 * CLIENT_ID from the environment. The test plays the user: it reads the code the example prints,
 * confirms it on the verification page, signs in and consents; the example must then print the
 * user's subject and exit 0 (docs/SECURITY.md DV-11).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';
import { browse, CookieJar, formOf, postForm, signInFields, startProvider, type TestProvider } from '../support/provider.js';

const GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const DIR = join(ROOT, 'test', '.device-example');

/** The one ```js block under the "Device sign-in" heading. */
function example(): string {
  const lines = readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n');
  const start = lines.indexOf('### Device sign-in');
  expect(start, 'README: a "### Device sign-in" section').toBeGreaterThan(0);
  const end = lines.findIndex((l, i) => i > start && /^#{1,3} /.test(l));
  const section = lines.slice(start, end === -1 ? undefined : end).join('\n');
  const blocks = [...section.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);
  expect(blocks, 'README: one ```js block under "Device sign-in"').toHaveLength(1);
  return blocks[0]!;
}

let provider: TestProvider;
let user: { id: string; username: string; password: string };
beforeAll(async () => {
  provider = await startProvider({ JWT_OIDC_DEVICE_CODE_INTERVAL: '1' });
  user = await provider.createUser();
  mkdirSync(DIR, { recursive: true });
});
afterAll(async () => {
  await provider?.close();
  rmSync(DIR, { recursive: true, force: true });
});

describe('the README device sign-in example', () => {
  it('DV-11 runs as printed: prints the code, and the subject once the user approved', async () => {
    const tv = await provider.createClient({ name: 'Living Room TV', public: true, redirectUris: [], responseTypes: [], grantTypes: [GRANT, 'refresh_token'] });
    const file = join(DIR, 'device.mjs');
    writeFileSync(file, example());
    const child = spawn(process.execPath, [file], { cwd: DIR, env: { ...process.env, ISSUER: provider.issuer, CLIENT_ID: tv.clientId }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const deadline = Date.now() + 20_000;
      let match: RegExpExecArray | null = null;
      while (!(match = /Open (\S+) and enter the code (\S+)/.exec(out)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(match, `the example printed: ${out}\n${err}`).not.toBeNull();
      const [, uri, userCode] = match!;
      expect(uri).toBe(`${provider.issuer}/device`);

      // The user, in a browser: the code, the confirmation, the sign-in, the consent.
      const jar = new CookieJar();
      let { action, csrf } = formOf(await (await browse(jar, uri!)).text());
      let res = await postForm(jar, new URL(action, uri).toString(), { csrf, user_code: userCode! });
      ({ action, csrf } = formOf(await res.text()));
      res = await postForm(jar, new URL(action, uri).toString(), { csrf, user_code: userCode!, decision: 'confirm' });
      let url = new URL(action, uri).toString();
      for (let hops = 0; hops < 8 && (res.status === 302 || res.status === 303); hops++) {
        url = new URL(res.headers.get('location')!, url).toString();
        res = await browse(jar, url);
        if (res.status !== 200 || !url.includes('/interaction/')) continue;
        const html = await res.text();
        ({ action, csrf } = formOf(html));
        res = action.endsWith('/login') ? await postForm(jar, new URL(action, url).toString(), signInFields(html, csrf, user.username)) : await postForm(jar, new URL(action, url).toString(), { csrf, decision: 'allow' });
      }
      expect(await res.text()).toContain('You may return to your device');

      const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20_000));
      expect(await Promise.race([exited, timeout]), `stdout: ${out}\nstderr: ${err}`).toBe(0);
      expect(out).toContain(`Signed in as ${user.id}`);
    } finally {
      child.kill();
    }
  }, 60_000);
});
