import { GraphQLJSONObject } from 'graphql-scalars';
import { Authorized, Field, ID, ObjectType } from 'type-graphql';
import { ADMIN } from '../auth.js';

@Authorized(ADMIN)
@ObjectType({ description: 'One audit event, as the instance that recorded it logged it (docs/OPERATIONS.md "Audit events").' })
export class AuditEvent {
  @Field(() => ID, { description: 'Unique per event.' })
  id!: string;

  @Field(() => Date, { description: 'When it happened.' })
  time!: Date;

  @Field({ description: 'What happened: `login.success`, `token.refused`, `grant.revoked`, … (the `types` of `auditEvents`).' })
  event!: string;

  @Field({ description: '`success`, `failure` or `refused`.' })
  outcome!: string;

  @Field(() => String, { nullable: true, description: 'Who acted: a user id, a client id, or `schedule` for the service itself.' })
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
