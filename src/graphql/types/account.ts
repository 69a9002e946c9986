/** The signed-in user's own account, as `Me` shows it (src/graphql/account-resolver.ts). */
import { Field, ID, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'One of the caller\'s own live sign-in sessions at the provider: a browser where they are signed in.' })
export class MySession {
  @Field(() => ID, { description: 'The session id (`sid` of ID tokens), for `endMySession`; not the cookie.' })
  id!: string;

  @Field(() => Date, { description: 'When it started.' })
  createdAt!: Date;

  @Field(() => Date, { description: 'When the user last authenticated in it (`auth_time`, OIDC Core §2).' })
  authTime!: Date;

  @Field(() => Date, { description: 'When it ends unless the user signs out first.' })
  expiresAt!: Date;

  @Field(() => [String], { description: 'How the user authenticated (`amr`, RFC 8176): `pwd` for a password, `otp` for an authenticator app\'s code, `mfa` with a second factor.' })
  amr!: string[];

  @Field(() => Boolean, { description: 'The session the calling access token was issued in (its grant records the session): the browser the user is looking from.' })
  current!: boolean;

  @Field(() => String, { nullable: true, description: 'The browser\'s User-Agent when the session started (its first 255 characters); null when it sent none. As the browser said: not proof of anything.' })
  userAgent!: string | null;

  @Field(() => String, { nullable: true, description: 'The client address the session started from (behind trusted proxies, JWT_OIDC_TRUST_PROXY: the forwarded one); null when unknown.' })
  ip!: string | null;
}

@ObjectType({ description: 'An application with access to the caller\'s account: one they consented to, or that holds active grants (first-party applications ask no consent).' })
export class ConnectedApp {
  @Field(() => ID, { description: 'The client_id, for `revokeMyGrant`.' })
  clientId!: string;

  @Field(() => String, { description: 'The name the consent page shows.' })
  clientName!: string;

  @Field(() => String, { nullable: true, description: 'The application\'s home page (`client_uri`, RFC 7591 §2); null when it registered none.' })
  clientUri!: string | null;

  @Field(() => [String], { description: 'What it may have: the scopes consented to and those of its active grants, each once, sorted.' })
  scopes!: string[];

  @Field(() => Date, { description: 'Since when: the first consent to it or its oldest grant not revoked, whichever is earlier (grants are deleted once their last token has expired).' })
  firstGrantedAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When it last got tokens for the caller (a sign-in, a code exchange or a refresh); what it did with them at APIs is not recorded. Null when no grant is on record any more (grants are deleted once their last token has expired).' })
  lastUsedAt!: Date | null;

  @Field(() => Int, { description: 'Its grants whose tokens work now (not revoked, not expired); 0 for an application that only holds the consent.' })
  activeGrants!: number;
}
