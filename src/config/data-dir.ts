/**
 * A data directory belongs to the mode that made it. The embedded PostgreSQL and the generated
 * secrets of one mode must never serve another: a client-mode login with CREATE_USER=true
 * would otherwise create password-less users in the provider of the same checkout
 * (README: "The embedded PostgreSQL").
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Mode } from './definitions.js';
import { DEFAULT_DATA_DIRS } from './derive.js';

/** The file that names the mode owning the directory. */
export const MODE_FILE = '.jwt-oidc-mode';

export class DataDirError extends Error {
  readonly code = 'ERR_DATA_DIR_MODE';
}

const claimed = new Map<string, Promise<void>>();

/** Marks `dir` as `mode`'s (first use), or throws when another mode owns it. */
export function claimDataDir(dir: string, mode: Mode): Promise<void> {
  const path = resolve(dir);
  const key = `${mode}:${path}`;
  let job = claimed.get(key);
  if (!job) {
    job = claim(path, mode);
    claimed.set(key, job);
    job.catch(() => claimed.delete(key));
  }
  return job;
}

async function claim(dir: string, mode: Mode): Promise<void> {
  const file = join(dir, MODE_FILE);
  let owner = await readOwner(file);
  if (owner === undefined) {
    // As root, the embedded cluster's postgres user must traverse it (src/db/embedded/cluster.ts).
    await mkdir(dir, { recursive: true, mode: process.getuid?.() === 0 ? 0o711 : 0o700 });
    // Written whole under a name of its own, then linked into place: link() fails if the file
    // exists, so of two processes starting together one wins, and neither ever reads the other's
    // file half-written (an exclusive create alone leaves a moment when it is empty).
    const draft = `${file}.${process.pid}.${randomBytes(6).toString('hex')}`;
    await writeFile(draft, `${mode}\n`, { flag: 'wx', mode: 0o600 });
    try {
      await link(draft, file).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST') throw e;
      });
    } finally {
      await unlink(draft).catch(() => undefined);
    }
    owner = await readOwner(file);
  }
  if (owner !== mode) {
    throw new DataDirError(
      `JWT_OIDC_DATA_DIR: ${dir} holds the local state of the ${owner} mode (${MODE_FILE}); the ${mode} mode keeps its own ` +
        `(default ${DEFAULT_DATA_DIRS[mode]}). Unset JWT_OIDC_DATA_DIR or choose another directory.`,
    );
  }
}

async function readOwner(file: string): Promise<string | undefined> {
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  return text?.trim() || undefined;
}
