/** Second factors, as `Me.factors` and the admin `User.factors` show them (src/graphql/factor-resolver.ts). */
import { Field, ID, ObjectType } from 'type-graphql';

@ObjectType({ description: 'A second factor of a user: the caller\'s own in `Me.factors`, any user\'s in the admin `User.factors` (docs/ACCOUNTS.md "Two-step sign-in").' })
export class Factor {
  @Field(() => ID, { description: 'The factor id, for `removeMyFactor` (or an administrator\'s `removeUserFactor`).' })
  id!: string;

  @Field(() => String, { description: 'What it is: `totp` (an authenticator app, RFC 6238) or `passkey` (WebAuthn Level 2).' })
  kind!: string;

  @Field(() => String, { description: 'The name the user gave it.' })
  name!: string;

  @Field(() => Date, { description: 'When it was added.' })
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When it last signed in (a code or an assertion accepted); null when never.' })
  lastUsedAt!: Date | null;
}

@ObjectType({ description: 'A TOTP enrolment started by `startTotpEnrolment`: what the authenticator app needs, shown this once. Confirm it with a code within 10 minutes (`confirmTotpEnrolment`).' })
export class TotpEnrolment {
  @Field(() => ID, { description: 'The pending enrolment, for `confirmTotpEnrolment`.' })
  id!: string;

  @Field(() => String, { description: 'The shared secret (base32), for typing into the app by hand.' })
  secret!: string;

  @Field(() => String, { description: 'The otpauth URI the app scans (HMAC-SHA-1, 6 digits, 30 s).' })
  otpauthUri!: string;

  @Field(() => String, { description: 'The otpauth URI as a QR code: an SVG document.' })
  qrSvg!: string;
}
