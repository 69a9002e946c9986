/**
 * Registered resources (RFC 8707): the one way to the `resources` table, and the one place that
 * validates a resource's metadata, for the CLI, the GraphQL API and the provider. An identifier
 * is an absolute URI without a fragment (RFC 8707 §2), without a query (§2: SHOULD NOT), ASCII,
 * stored and compared byte for byte (docs/SECURITY.md RI-05).
 */
import { UniqueConstraintViolationException, type EntityManager, type MikroORM } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { SIGNATURE_ALGS, type SignatureAlg } from '../../config/definitions.js';
import { Resource } from '../../db/entities/resource.js';
import { MAX_URI_LENGTH } from '../../clients/redirect-uri.js';
import { SCOPE_TOKEN } from '../params.js';

export interface RegisteredResource {
  id: string;
  scopes: string[];
  accessTokenLifetime: number | null;
  alg: SignatureAlg | null;
  createdAt: number;
}

export type ResourceErrorCode = 'ERR_RESOURCE_INVALID' | 'ERR_RESOURCE_EXISTS' | 'ERR_RESOURCE_NOT_FOUND';

export class ResourceError extends Error {
  constructor(
    readonly code: ResourceErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ResourceError';
  }
}

/**
 * Scopes about the provider itself, never a resource's: `openid` and `offline_access` shape the
 * grant, `admin` is the provider's administration — a resource listing it would hand it to anyone
 * who may name the resource (docs/SECURITY.md RI-03).
 */
export const PROVIDER_ONLY_SCOPES: ReadonlySet<string> = new Set(['openid', 'offline_access', 'admin']);

/** The longest lifetime of a resource's access tokens: a day. */
export const MAX_RESOURCE_TOKEN_LIFETIME = 86_400;

/** Why `uri` cannot be a resource indicator, or undefined when it can. */
export function resourceUriProblem(uri: string): string | undefined {
  if (uri.length === 0) return 'must be a non-empty absolute URI';
  if (uri.length > MAX_URI_LENGTH) return `must be at most ${MAX_URI_LENGTH} characters`;
  if (/[^\x21-\x7e]/.test(uri)) return 'must be ASCII without spaces: percent-encode other characters (RFC 3986 §2.1)';
  if (uri.includes('#')) return 'must not contain a fragment (RFC 8707 §2)';
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(uri)) return 'must be an absolute URI with a scheme (RFC 8707 §2, RFC 3986 §4.3)';
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'must be an absolute URI (RFC 8707 §2)';
  }
  if (url.search !== '' || uri.includes('?')) return 'must not contain a query (RFC 8707 §2)';
  if (url.username || url.password) return 'must not contain credentials';
  return undefined;
}

const scopes = z
  .array(z.string().refine((s) => SCOPE_TOKEN.test(s) && s.length <= 128, 'must be a scope token (RFC 6749 §3.3)'))
  .max(50)
  .superRefine((list, ctx) => {
    for (const s of list) if (PROVIDER_ONLY_SCOPES.has(s)) ctx.addIssue({ code: 'custom', message: `"${s}" is the provider's own scope, not a resource's` });
    if (new Set(list).size !== list.length) ctx.addIssue({ code: 'custom', message: 'scopes must be unique' });
  });
const metadata = {
  scopes,
  accessTokenLifetime: z.number().int().min(1).max(MAX_RESOURCE_TOKEN_LIFETIME).nullish(),
  alg: z.enum(SIGNATURE_ALGS).nullish(),
};
const createSchema = z.object({ id: z.string().superRefine((v, ctx) => { const p = resourceUriProblem(v); if (p) ctx.addIssue({ code: 'custom', message: p }); }), ...metadata }).strict();
const updateSchema = z.object(metadata).partial().strict();
export type CreateResourceInput = z.input<typeof createSchema>;
export type UpdateResourceInput = z.input<typeof updateSchema>;

function parse<T extends z.ZodType>(schema: T, input: unknown, algs: readonly SignatureAlg[]): z.output<T> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const field = issue.path[0] === undefined ? undefined : String(issue.path[0]);
    throw new ResourceError('ERR_RESOURCE_INVALID', `${field ?? 'input'}: ${issue.message}`, field);
  }
  const alg = (result.data as { alg?: string | null }).alg;
  if (alg && !algs.includes(alg as SignatureAlg)) throw new ResourceError('ERR_RESOURCE_INVALID', `alg: the provider signs with ${algs.join(' and ')} only`, 'alg');
  return result.data;
}

const toRecord = (r: Resource): RegisteredResource => ({ id: r.id, scopes: [...r.scopes], accessTokenLifetime: r.accessTokenLifetime ?? null, alg: (r.alg as SignatureAlg | null | undefined) ?? null, createdAt: r.createdAt.getTime() });

export class ResourceStore {
  constructor(
    private readonly orm: MikroORM | { em: EntityManager },
    /** The algorithms the provider has keys for (`wantedFamilies` of SIGNATURE_ALG). */
    private readonly algs: readonly SignatureAlg[],
  ) {}

  private em(): EntityManager {
    return this.orm.em.fork();
  }

  async find(id: string): Promise<RegisteredResource | undefined> {
    if (id.length > MAX_URI_LENGTH) return undefined;
    const found = await this.em().findOne(Resource, { id });
    return found ? toRecord(found) : undefined;
  }

  /** The registered ones among `ids` (at most a few: a request's `resource` values), in the order given. */
  async findMany(ids: readonly string[]): Promise<RegisteredResource[]> {
    const wanted = ids.filter((id) => id.length <= MAX_URI_LENGTH);
    if (wanted.length === 0) return [];
    const rows = await this.em().find(Resource, { id: { $in: wanted } });
    const byId = new Map(rows.map((r) => [r.id, toRecord(r)]));
    return wanted.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : []));
  }

  /** Every resource, by id; with `after`, those after that id; at most `limit`. */
  async list(options: { after?: string; limit?: number; search?: string } = {}): Promise<RegisteredResource[]> {
    const where: Record<string, unknown> = {};
    if (options.after !== undefined) where.id = { $gt: options.after };
    if (options.search) where.id = { ...(where.id as object), $ilike: `%${options.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%` };
    const rows = await this.em().find(Resource, where, { orderBy: { id: 'asc' }, ...(options.limit ? { limit: options.limit } : {}) });
    return rows.map(toRecord);
  }

  async create(input: CreateResourceInput): Promise<RegisteredResource> {
    const data = parse(createSchema, input, this.algs);
    const em = this.em();
    const row = em.create(Resource, { id: data.id, scopes: data.scopes, accessTokenLifetime: data.accessTokenLifetime ?? null, alg: data.alg ?? null });
    try {
      await em.flush();
    } catch (e) {
      // Two creations of one id at once: the database's key decides (docs/SECURITY.md RI-05).
      if (e instanceof UniqueConstraintViolationException) throw new ResourceError('ERR_RESOURCE_EXISTS', `a resource "${data.id}" is already registered`, 'id');
      throw e;
    }
    return toRecord(row);
  }

  async update(id: string, input: UpdateResourceInput): Promise<RegisteredResource> {
    const data = parse(updateSchema, input, this.algs);
    const em = this.em();
    const row = id.length <= MAX_URI_LENGTH ? await em.findOne(Resource, { id }) : null;
    if (!row) throw new ResourceError('ERR_RESOURCE_NOT_FOUND', `no resource "${id}"`, 'id');
    if (data.scopes !== undefined) row.scopes = data.scopes;
    if (data.accessTokenLifetime !== undefined) row.accessTokenLifetime = data.accessTokenLifetime;
    if (data.alg !== undefined) row.alg = data.alg;
    await em.flush();
    return toRecord(row);
  }

  /** Deletes a resource: tokens for it are no longer issued (grants naming it get invalid_target); issued ones live out their time. */
  async delete(id: string): Promise<void> {
    const n = id.length <= MAX_URI_LENGTH ? await this.em().nativeDelete(Resource, { id }) : 0;
    if (n === 0) throw new ResourceError('ERR_RESOURCE_NOT_FOUND', `no resource "${id}"`, 'id');
  }
}
