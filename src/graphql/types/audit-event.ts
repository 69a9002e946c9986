import { GraphQLJSONObject } from 'graphql-scalars';
import { Authorized, Field, ID, InputType, ObjectType } from 'type-graphql';
import { connectionOf } from './connection.js';
import { ADMIN } from '../auth.js';

@Authorized(ADMIN)
@ObjectType({ description: 'One audit event, as the instance that recorded it logged it.' })
export class AuditEvent {
  @Field(() => ID, { description: 'Unique per event.' })
  id!: string;

  @Field(() => Date, { description: 'When it happened.' })
  time!: Date;

  @Field({ description: 'What happened: `login.success`, `token.refused`, `grant.revoked`, … (the `types` of `auditEvents`).' })
  event!: string;

  @Field({ description: '`success`, `failure` or `refused`.' })
  outcome!: string;

  @Field(() => String, { nullable: true, description: 'Who acted: a user id, a client id, `schedule` for the service itself, or `cli` for the command line.' })
  actor!: string | null;

  @Field(() => String, { nullable: true, description: 'The client involved.' })
  client!: string | null;

  @Field(() => String, { nullable: true, description: 'The address the request came from.' })
  ip!: string | null;

  @Field({ description: 'The log message.' })
  message!: string;

  @Field({ description: 'The instance that recorded it: its host name and a random id per start.' })
  instance!: string;

  @Field(() => GraphQLJSONObject, { description: 'Its other fields, as in the log record (never secrets; attempted usernames only as digests).' })
  details!: Record<string, unknown>;
}

export const AuditEventConnection = connectionOf(AuditEvent, 'AuditEvent');

@InputType({ description: 'Which audit events: every given condition must hold.' })
export class AuditEventFilter {
  @Field(() => [String], { nullable: true, description: 'Only these types (the `types` of the `auditEvents` subscription).' })
  types?: string[] | null;

  @Field(() => String, { nullable: true, description: 'Only events of this actor (a user id, a client id, `schedule` or `cli`).' })
  actor?: string | null;

  @Field(() => String, { nullable: true, description: 'Only events involving this client.' })
  client?: string | null;

  @Field(() => Date, { nullable: true, description: 'Only events from this time on.' })
  since?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Only events before this time.' })
  until?: Date | null;
}

/** One event as the API shows it: from the live stream or from the table. */
export function toAuditEvent(e: { id: string; time: number | Date; event: string; outcome: string; actor?: string | null; client?: string | null; ip?: string | null; message: string; instance: string; details: Record<string, unknown> }): AuditEvent {
  return { id: e.id, time: new Date(e.time), event: e.event, outcome: e.outcome, actor: e.actor ?? null, client: e.client ?? null, ip: e.ip ?? null, message: e.message, instance: e.instance, details: e.details };
}
