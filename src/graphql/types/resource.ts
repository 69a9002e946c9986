import { Authorized, Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import type { RegisteredResource } from '../../provider/stores/resource-store.js';
import { ADMIN } from '../auth.js';
import { connectionOf } from './connection.js';

@Authorized(ADMIN)
@ObjectType({ description: 'A protected resource clients may name with the `resource` parameter (RFC 8707): its access tokens have exactly its id as `aud` and only its scopes. Every field needs the admin scope.' })
export class Resource {
  @Field(() => ID, { description: 'The resource indicator: an absolute URI without fragment or query.' })
  id!: string;

  @Field(() => [String], { description: 'The scopes its access tokens may carry.' })
  scopes!: string[];

  @Field(() => Int, { nullable: true, description: 'Seconds its access tokens live; null: JWT_OIDC_JWT_ACCESS_TOKEN_EXPIRATION_TIME.' })
  accessTokenLifetime!: number | null;

  @Field(() => String, { nullable: true, description: 'The algorithm its access tokens are signed with; null: the server default.' })
  alg!: string | null;

  @Field(() => Date, { description: 'When it was registered.' })
  createdAt!: Date;
}

export const ResourceConnection = connectionOf(Resource, 'Resource');

@InputType({ description: 'Changes to a resource; fields left out stay as they are.' })
export class ResourceMetadataInput {
  @Field(() => [String], { nullable: true, description: 'The scopes its access tokens may carry (not openid, offline_access or admin).' })
  scopes?: string[] | null;

  @Field(() => Int, { nullable: true, description: 'Seconds its access tokens live (1–86400); null: the server default.' })
  accessTokenLifetime?: number | null;

  @Field(() => String, { nullable: true, description: 'A signing algorithm of the provider; null: the server default.' })
  alg?: string | null;
}

@InputType({ description: 'A new resource.' })
export class CreateResourceInput {
  @Field(() => String, { description: 'The resource indicator: an absolute URI without fragment or query (RFC 8707 §2).' })
  id!: string;

  @Field(() => [String], { description: 'The scopes its access tokens may carry (not openid, offline_access or admin).' })
  scopes!: string[];

  @Field(() => Int, { nullable: true, description: 'Seconds its access tokens live (1–86400); null: the server default.' })
  accessTokenLifetime?: number | null;

  @Field(() => String, { nullable: true, description: 'A signing algorithm of the provider; null: the server default.' })
  alg?: string | null;
}

export function toResource(r: RegisteredResource): Resource {
  return { id: r.id, scopes: r.scopes, accessTokenLifetime: r.accessTokenLifetime, alg: r.alg, createdAt: new Date(r.createdAt) };
}
