/**
 * `subscription { auditEvents(types: […]) { … } }`: the audit events of every instance, live,
 * for administrators (src/audit-stream.ts). Over WebSocket only (src/graphql/subscription-server.ts).
 */
import { GraphQLError } from 'graphql';
import { Arg, Ctx, Root, Resolver, Subscription, type SubscribeResolverData } from 'type-graphql';
import { AUDIT_EVENTS } from '../audit.js';
import type { StreamedAuditEvent } from '../audit-stream.js';
import { requireAdmin } from './auth.js';
import type { GraphQLContext } from './context.js';
import { AuditEvent } from './types/audit-event.js';

const KNOWN: ReadonlySet<string> = new Set(AUDIT_EVENTS);

/** The types asked for, checked: unknown names are the caller's mistake, told with the known ones. */
function eventTypes(types: readonly string[] | null | undefined): ReadonlySet<string> | undefined {
  if (types === null || types === undefined) return undefined;
  if (types.length === 0) throw new GraphQLError('types is empty: name at least one event type, or leave it out for all', { extensions: { code: 'BAD_USER_INPUT', field: 'types' } });
  const unknown = types.filter((t) => !KNOWN.has(t));
  if (unknown.length > 0) throw new GraphQLError(`unknown audit event types: ${unknown.join(', ')}; known: ${AUDIT_EVENTS.join(', ')}`, { extensions: { code: 'BAD_USER_INPUT', field: 'types' } });
  return new Set(types);
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
    return {
      id: event.id,
      time: new Date(event.time),
      event: event.event,
      outcome: event.outcome,
      actor: event.actor ?? null,
      client: event.client ?? null,
      ip: event.ip ?? null,
      message: event.message,
      instance: event.instance,
      details: event.details,
    };
  }
}
