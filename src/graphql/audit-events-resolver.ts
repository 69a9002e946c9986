/**
 * Audit events for administrators: `subscription { auditEvents(types: […]) }`, those of every
 * instance, live (src/audit-stream.ts; over WebSocket only, src/graphql/subscription-server.ts),
 * and `query { auditEvents(filter, first, after) }`, those kept in PostgreSQL (src/audit-store.ts),
 * newest first.
 */
import { GraphQLError } from 'graphql';
import { Arg, Ctx, Int, Query, Root, Resolver, Subscription, type SubscribeResolverData } from 'type-graphql';
import { AUDIT_EVENTS } from '../audit.js';
import type { StreamedAuditEvent } from '../audit-stream.js';
import { requireAdmin } from './auth.js';
import type { GraphQLContext } from './context.js';
import { AuditEvent, AuditEventConnection, AuditEventFilter, toAuditEvent } from './types/audit-event.js';
import { findAuditEvents, type AuditPosition } from '../audit-store.js';
import { decodeCursor, pageSize, toConnection, type Connection } from './types/connection.js';

const KNOWN: ReadonlySet<string> = new Set(AUDIT_EVENTS);

/** The types asked for, checked: unknown names are the caller's mistake, told with the known ones. */
function eventTypes(types: readonly string[] | null | undefined, field = 'types'): ReadonlySet<string> | undefined {
  if (types === null || types === undefined) return undefined;
  if (types.length === 0) throw new GraphQLError('types is empty: name at least one event type, or leave it out for all', { extensions: { code: 'BAD_USER_INPUT', field } });
  const unknown = types.filter((t) => !KNOWN.has(t));
  if (unknown.length > 0) throw new GraphQLError(`unknown audit event types: ${unknown.join(', ')}; known: ${AUDIT_EVENTS.join(', ')}`, { extensions: { code: 'BAD_USER_INPUT', field } });
  return new Set(types);
}

/** A cursor's position: `<ISO time>|<id>` inside the list's opaque cursor. */
function position(after: string | null | undefined): AuditPosition | undefined {
  const key = decodeCursor('auditEvents', after);
  if (key === undefined) return undefined;
  const [time, id] = key.split('|');
  const at = new Date(time ?? '');
  if (!id || Number.isNaN(at.getTime())) throw new GraphQLError('after: not a cursor of this list; pass an edge\'s cursor or pageInfo.endCursor from an earlier page of auditEvents', { extensions: { code: 'BAD_USER_INPUT', field: 'after' } });
  return { time: at, id };
}

async function watch({ args, context }: SubscribeResolverData<unknown, { types?: string[] | null }, GraphQLContext>): Promise<AsyncIterable<StreamedAuditEvent>> {
  requireAdmin(context);
  const types = eventTypes(args.types);
  if (!context.auditStream) throw new GraphQLError('this server has no audit stream', { extensions: { code: 'BAD_REQUEST' } });
  return context.auditStream.watch(types);
}

@Resolver()
export class AuditEventsResolver {
  @Subscription(() => AuditEvent, {
    description: `The audit events of every instance of this service, from now on, as they happen; only \`types\` when given (${AUDIT_EVENTS.join(', ')}). For watching: the log stays the audit trail, and an event can be missed when a database connection drops. Over WebSocket (graphql-transport-ws) at /graphql. Admin.`,
    subscribe: watch,
  })
  auditEvents(
    @Root() event: StreamedAuditEvent,
    @Arg('types', () => [String], { nullable: true, description: 'Only events of these types (default: all).' }) _types: string[] | null,
    @Ctx() _ctx: GraphQLContext,
  ): AuditEvent {
    return toAuditEvent(event);
  }

  @Query(() => AuditEventConnection, {
    name: 'auditEvents',
    description: 'The audit events kept in PostgreSQL (AUDIT_RETENTION, 30 days by default), newest first; the subscription of the same name streams new ones. Admin.',
  })
  async auditEventPage(
    @Arg('filter', () => AuditEventFilter, { nullable: true, description: 'Which events (default: all).' }) filter: AuditEventFilter | null,
    @Arg('first', () => Int, { defaultValue: 20, description: 'How many items (1–100).' }) first: number,
    @Arg('after', () => String, { nullable: true, description: 'Return items after this cursor.' }) after: string | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<Connection<AuditEvent>> {
    requireAdmin(ctx);
    const limit = pageSize(first);
    const types = eventTypes(filter?.types, 'filter.types');
    const rows = await findAuditEvents(
      ctx.em,
      { types: types && [...types], actor: filter?.actor ?? undefined, client: filter?.client ?? undefined, since: filter?.since ?? undefined, until: filter?.until ?? undefined },
      position(after),
      limit + 1,
    );
    return toConnection('auditEvents', rows, limit, (r) => `${r.time.toISOString()}|${r.id}`, toAuditEvent);
  }
}
