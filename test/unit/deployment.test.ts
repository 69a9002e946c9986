/**
 * No Docker engine runs on these machines, so the deployment files are checked by reading them:
 * the compose file wires a healthy PostgreSQL into the service, reads no JWT_OIDC_* variable that
 * is not a setting (the service's prefix: unknown ones stop it), publishes PUBLISHED_PORT with the
 * issuer following it, and checks health on the service's own PORT; the image is multi-stage and
 * runs as an unprivileged user.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { definitions, SETTING_KEYS } from '../../src/config/definitions.js';
import { loadSettings } from '../../src/config/load.js';

const read = (name: string) => readFileSync(new URL(`../../${name}`, import.meta.url), 'utf8');

/** One `${VAR}`, `${VAR:-default}` or `${VAR:?error}` whose argument holds no other `${…}`. */
const INNERMOST = /\$\{(\w+)(?::([-?])([^${}]*))?\}/g;

/**
 * Compose's interpolation with the given variables, nested defaults included
 * (`${A:-x${B:-y}}`): innermost first, as a default is a plain string once its own variables
 * are replaced.
 */
function interpolate(text: string, vars: Record<string, string>): string {
  for (let previous = ''; previous !== text; ) {
    previous = text;
    text = text.replace(INNERMOST, (_m, name: string, op?: string, arg?: string) => {
      if (vars[name] !== undefined && vars[name] !== '') return vars[name]!;
      if (op === '?') throw new Error(`${name} is required: ${arg}`);
      return arg ?? '';
    });
  }
  return text;
}

/** Every variable the compose file reads from the shell or `.env` (comments aside). */
function composeVariables(text: string): Set<string> {
  const code = text
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n');
  return new Set([...code.matchAll(/\$\{(\w+)/g)].map((m) => m[1]!));
}

/** The ENV of the Dockerfile's final stage, as name → value. */
function imageEnv(): Record<string, string> {
  const dockerfile = read('Dockerfile');
  const final = dockerfile.slice(dockerfile.lastIndexOf('\nFROM ')).replace(/\\\n/g, ' ');
  const env: Record<string, string> = {};
  for (const line of final.split('\n').filter((l) => /^ENV\s/.test(l))) {
    for (const m of line.matchAll(/(\w+)=(\S+)/g)) env[m[1]!] = m[2]!;
  }
  return env;
}

describe('docker-compose.yml', () => {
  const vars = { POSTGRES_PASSWORD: 'pw-from-env', JWT_OIDC_KEY_ENCRYPTION_SECRET: 'k'.repeat(48) };
  const compose = parse(interpolate(read('docker-compose.yml'), vars));
  const app = compose.services['jwt-oidc'];
  /** `"host:container"` → its two ports. */
  const mapping = (port: string) => {
    const m = /^(\d+):(\d+)$/.exec(port);
    if (!m) throw new Error(`unexpected port mapping ${port}`);
    return { published: m[1]!, container: m[2]! };
  };

  it('reads no JWT_OIDC_* variable that is not a setting: exported in a shell, the CLI would stop on it (unknown setting)', () => {
    const variables = [...composeVariables(read('docker-compose.yml'))];
    const settingNames = new Set(SETTING_KEYS.map((k) => definitions[k].env));
    for (const name of variables.filter((v) => v.startsWith('JWT_OIDC_'))) expect(settingNames.has(name), `${name} is not a setting`).toBe(true);
    expect(variables).toContain('PUBLISHED_PORT');
    // Every variable the compose file reads, exported with a value, is fine for the CLI.
    const sample: Record<string, string> = { PUBLISHED_PORT: '8080', JWT_OIDC_ISSUER: 'https://id.example.com', LOG_LEVEL: 'info' };
    const shell = Object.fromEntries(variables.map((v) => [v, sample[v] ?? 'k'.repeat(48)]));
    expect(() => loadSettings({ env: shell })).not.toThrow();
    // And every JWT_OIDC_* the service receives is a setting too.
    for (const name of Object.keys(app.environment).filter((v) => v.startsWith('JWT_OIDC_'))) expect(settingNames.has(name), name).toBe(true);
  });

  it('publishes PUBLISHED_PORT (default 3000) to the container port, which is the PORT the service and its healthcheck use', () => {
    const ports = (app.ports as string[]).map(mapping);
    expect(ports).toEqual([{ published: '3000', container: '3000' }]);
    const containerPort = ports[0]!.container;
    expect(String(app.environment.PORT ?? imageEnv().PORT)).toBe(containerPort);
    expect(imageEnv().PORT).toBe(containerPort);
    // The healthcheck asks the service on its own PORT (no port of its own to drift).
    const check = (app.healthcheck.test as string[]).join(' ');
    expect(check).toContain('/readyz');
    expect(check).toContain('process.env.PORT');
    expect(check).not.toMatch(/127\.0\.0\.1:\d/);
    const moved = parse(interpolate(read('docker-compose.yml'), { ...vars, PUBLISHED_PORT: '8080' }));
    expect(moved.services['jwt-oidc'].ports.map(mapping)).toEqual([{ published: '8080', container: containerPort }]);
  });

  it('the default issuer follows the published port; JWT_OIDC_ISSUER overrides it', () => {
    expect(app.environment.JWT_OIDC_ISSUER).toBe('http://localhost:3000');
    const moved = parse(interpolate(read('docker-compose.yml'), { ...vars, PUBLISHED_PORT: '8080' }));
    expect(moved.services['jwt-oidc'].environment.JWT_OIDC_ISSUER).toBe('http://localhost:8080');
    const given = parse(interpolate(read('docker-compose.yml'), { ...vars, PUBLISHED_PORT: '8080', JWT_OIDC_ISSUER: 'https://id.example.com' }));
    expect(given.services['jwt-oidc'].environment.JWT_OIDC_ISSUER).toBe('https://id.example.com');
    // In the image (NODE_ENV=production) a loopback http issuer passes for a trial on this machine.
    const env = { ...moved.services['jwt-oidc'].environment, ...imageEnv() };
    expect(loadSettings({ env }).settings.issuer).toBe('http://localhost:8080');
  });

  it('runs postgres with a healthcheck and starts the service only once it is healthy', () => {
    const pg = compose.services.postgres;
    expect(pg.image).toMatch(/^postgres:\d+/);
    expect(pg.healthcheck.test.join(' ')).toContain('pg_isready');
    expect(pg.volumes.length).toBeGreaterThan(0);
    expect(app.depends_on.postgres.condition).toBe('service_healthy');
    expect(app.build).toBe('.');
    expect(app.healthcheck.test.join(' ')).toContain('/readyz');
  });

  it('wires DATABASE_URL to that postgres, with its user, password and database', () => {
    const pg = compose.services.postgres.environment;
    const url = new URL(compose.services['jwt-oidc'].environment.DATABASE_URL);
    expect(url.hostname).toBe('postgres');
    expect(url.port).toBe('5432');
    expect(decodeURIComponent(url.username)).toBe(pg.POSTGRES_USER);
    expect(decodeURIComponent(url.password)).toBe(pg.POSTGRES_PASSWORD);
    expect(url.pathname).toBe(`/${pg.POSTGRES_DB}`);
  });

  it('refuses to start without the secrets instead of using a known default', () => {
    expect(() => interpolate(read('docker-compose.yml'), { JWT_OIDC_KEY_ENCRYPTION_SECRET: 'k'.repeat(48) })).toThrow(/POSTGRES_PASSWORD is required/);
    expect(() => interpolate(read('docker-compose.yml'), { POSTGRES_PASSWORD: 'x' })).toThrow(/JWT_OIDC_KEY_ENCRYPTION_SECRET is required/);
  });

  it('gives the service settings that pass validation in the image (NODE_ENV=production)', () => {
    const env = { ...compose.services['jwt-oidc'].environment, NODE_ENV: 'production', HOST: '0.0.0.0', JWT_OIDC_DATA_DIR: '/var/lib/jwt-oidc' };
    const { settings } = loadSettings({ env });
    expect(settings.production).toBe(true);
    expect(settings.databaseUrl).toContain('@postgres:5432/');
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const stages = dockerfile.split('\n').filter((l) => /^FROM /i.test(l));

  it('builds in one stage and runs from another', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/COPY --from=build/);
    // The runtime installs production dependencies only, in a stage of their own.
    expect(dockerfile).toMatch(/RUN npm ci --omit=dev/);
  });

  it('runs the final stage as an unprivileged user, in production mode, with a healthcheck', () => {
    const final = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    const user = /^USER\s+(\S+)/m.exec(final)?.[1];
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(final).toMatch(/NODE_ENV=production/);
    expect(final).toMatch(/HEALTHCHECK/);
    // On the service's PORT, as the compose file's healthcheck.
    expect(final).toMatch(/HEALTHCHECK[\s\S]*process\.env\.PORT[\s\S]*\/readyz/);
    expect(final).toMatch(/ENTRYPOINT \["node", "bin\/jwt-oidc\.js"\]/);
  });
});
