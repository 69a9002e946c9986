/** Registering a passkey over GraphQL (src/graphql/passkey-resolver.ts; docs/ACCOUNTS.md "Passkeys"). */
import { Field, ID, ObjectType } from 'type-graphql';
import { Factor } from './factors.js';

@ObjectType({ description: 'A passkey registration started by `startPasskeyRegistration`: the options for the browser, valid 5 minutes. Finish it with `finishPasskeyRegistration`.' })
export class PasskeyRegistration {
  @Field(() => ID, { description: 'The pending registration, for `finishPasskeyRegistration`.' })
  id!: string;

  @Field(() => String, { description: 'The PublicKeyCredentialCreationOptions as JSON text (WebAuthn L2 §5.4, base64url for binary values): what @simplewebauthn/browser\'s startRegistration takes as `optionsJSON`.' })
  options!: string;
}

@ObjectType({ description: 'A passkey added by `finishPasskeyRegistration`.' })
export class PasskeyAdded {
  @Field(() => Factor, { description: 'The new factor (kind `passkey`).' })
  factor!: Factor;

  @Field(() => [String], { nullable: true, description: 'Ten recovery codes, shown this once, when this is the caller\'s first factor; null otherwise (the saved codes stay as they are).' })
  recoveryCodes!: string[] | null;
}
