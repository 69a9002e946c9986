import { randomUUID } from 'node:crypto';
import { Entity, Index, ManyToOne, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { User } from './user.js';

/**
 * A second factor of a user (docs/ACCOUNTS.md "Two-step sign-in"). `kind` names what the row
 * holds: `totp` (RFC 6238) keeps its shared secret encrypted (`secret`) and the last time step
 * accepted (`totpLastStep`); `passkey` (WebAuthn Level 2) keeps its credential in the `credential*`
 * columns and, while pending, the registration's challenge, so the list of a user's factors
 * stays one table. A row without `confirmedAt` is
 * an enrolment not finished yet: it signs nobody in and expires (src/users/factors.ts).
 * Read and written by src/users/factor-store.ts only.
 */
@Entity({ tableName: 'user_factors' })
@Index({ properties: ['userId', 'kind'] })
export class UserFactor {
  [OptionalProps]?: 'confirmedAt' | 'lastUsedAt' | 'totpLastStep' | 'secret' | 'challenge' | 'credentialId' | 'credentialPublicKey' | 'credentialCounter' | 'credentialTransports' | 'credentialBackedUp' | 'credentialDeviceType' | 'userHandle';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => User, { fieldName: 'user_id', mapToPk: true, deleteRule: 'cascade' })
  userId!: string;

  /** `totp` or `passkey`. */
  @Property({ type: 'string', length: 16 })
  kind!: string;

  /** What the user called it ("Phone"). */
  @Property({ type: 'string', length: 100 })
  name!: string;

  @Property({ type: 'datetime' })
  createdAt!: Date;

  /** Null while the enrolment waits for its first code. */
  @Property({ type: 'datetime', nullable: true })
  confirmedAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  lastUsedAt?: Date | null;

  /**
   * The TOTP shared secret, encrypted at rest under JWT_OIDC_KEY_ENCRYPTION_SECRET and bound to
   * this row's id (src/keys/encryption.ts): the table alone computes no codes.
   */
  @Property({ type: 'text', nullable: true })
  secret?: string | null;

  /** The last TOTP time step accepted: a code of that step or an earlier one is refused (RFC 6238 §5.2). */
  @Property({ type: 'bigint', nullable: true })
  totpLastStep?: string | null;

  /**
   * A pending passkey registration's challenge (base64url, WebAuthn L2 §13.4.3): spent by the
   * conditional UPDATE that confirms the row, so one registration response is accepted once.
   */
  @Property({ type: 'string', length: 128, nullable: true })
  challenge?: string | null;

  /** The passkey's credential id (base64url, WebAuthn L2 §4 "Credential ID"): one row per credential, whoever's. */
  @Property({ type: 'text', nullable: true, unique: true })
  credentialId?: string | null;

  /** Its public key, COSE_Key-encoded (WebAuthn L2 §6.5.1.1), base64url. */
  @Property({ type: 'text', nullable: true })
  credentialPublicKey?: string | null;

  /** The last signature counter accepted (WebAuthn L2 §6.1.1); moved by compare-and-set only. */
  @Property({ type: 'bigint', nullable: true })
  credentialCounter?: string | null;

  /** The transports the browser reported at registration (`internal`, `usb`, `hybrid`, …). */
  @Property({ type: 'json', nullable: true })
  credentialTransports?: string[] | null;

  /** The BS flag (WebAuthn L2 §6.1): the credential is backed up (synced) — `swk` rather than `hwk` (RFC 8176 §2). */
  @Property({ type: 'boolean', nullable: true })
  credentialBackedUp?: boolean | null;

  /** `singleDevice` or `multiDevice` (the BE flag, WebAuthn L2 §6.1.3). */
  @Property({ type: 'string', length: 16, nullable: true })
  credentialDeviceType?: string | null;

  /** The WebAuthn user handle (base64url of random bytes, never PII: WebAuthn L2 §14.6.1), the same for all of a user's passkeys. */
  @Property({ type: 'string', length: 128, nullable: true })
  userHandle?: string | null;
}
