/**
 * No Docker engine runs on these machines, so the deployment files are checked by reading them:
 * the compose file wires a healthy PostgreSQL into the service, the image is multi-stage and
 * runs as an unprivileged user.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadSettings } from '../../src/config/load.js';

const read = (name: string) => readFileSync(new URL(`../../${name}`, import.meta.url), 'utf8');

/** Compose's `${VAR:-default}` / `${VAR:?error}` interpolation, with the given variables. */
function interpolate(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_m, name: string, op?: string, arg?: string) => {
    if (vars[name] !== undefined && vars[name] !== '') return vars[name]!;
    if (op === '?') throw new Error(`${name} is required: ${arg}`);
    return arg ?? '';
  });
}

describe('docker-compose.yml', () => {
  const vars = { POSTGRES_PASSWORD: 'pw-from-env', JWT_OIDC_KEY_ENCRYPTION_SECRET: 'k'.repeat(48) };
  const compose = parse(interpolate(read('docker-compose.yml'), vars));

  it('runs postgres with a healthcheck and starts the service only once it is healthy', () => {
    const pg = compose.services.postgres;
    expect(pg.image).toMatch(/^postgres:\d+/);
    expect(pg.healthcheck.test.join(' ')).toContain('pg_isready');
    expect(pg.volumes.length).toBeGreaterThan(0);
    const app = compose.services['jwt-oidc'];
    expect(app.depends_on.postgres.condition).toBe('service_healthy');
    expect(app.build).toBe('.');
    expect(app.ports).toContain('3000:3000');
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
    expect(final).toMatch(/ENTRYPOINT \["node", "bin\/jwt-oidc\.js"\]/);
  });
});
