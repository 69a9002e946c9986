import { Authorized, Field, ObjectType } from 'type-graphql';
import type { FamilyStatus } from '../../keys/key-manager.js';
import { ADMIN } from '../auth.js';

@Authorized(ADMIN)
@ObjectType({ description: 'A signing key and where it is in its lifecycle.' })
export class SigningKeyInfo {
  @Field(() => String, { description: 'Key id (RFC 7638 thumbprint).' })
  kid!: string;

  @Field(() => String, { description: 'JWS algorithm.' })
  alg!: string;

  @Field(() => String, { description: 'pending (published, not signing), active (signing) or retired (published, verifying only).' })
  state!: string;

  @Field(() => Date, { description: 'Published since.' })
  createdAt!: Date;

  @Field(() => Date, { description: 'Signs from.' })
  activatesAt!: Date;

  @Field(() => Date, { nullable: true, description: 'Stops signing at.' })
  retiresAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'Leaves the JWKS at.' })
  deletesAt!: Date | null;
}

@Authorized(ADMIN)
@ObjectType({ description: 'A family of signing keys: primary (SIGNATURE_ALG) or rs256.' })
export class KeyFamilyStatus {
  @Field(() => String, { description: 'primary or rs256.' })
  family!: string;

  @Field(() => String, { nullable: true, description: 'The algorithm the family signs with; null when it is being retired.' })
  alg!: string | null;

  @Field(() => String, { nullable: true, description: 'The key that signs now.' })
  activeKid!: string | null;

  @Field(() => Date, { nullable: true, description: 'When the next key takes over.' })
  nextRotationAt!: Date | null;

  @Field(() => [SigningKeyInfo], { description: 'Every published key of the family.' })
  keys!: SigningKeyInfo[];
}

const date = (v: string | null) => (v === null ? null : new Date(v));

export function toKeyStatus(families: FamilyStatus[]): KeyFamilyStatus[] {
  return families.map((f) => ({
    family: f.family,
    alg: f.alg,
    activeKid: f.activeKid,
    nextRotationAt: date(f.nextRotationAt),
    keys: f.keys.map((k) => ({ kid: k.kid, alg: k.alg, state: k.state, createdAt: new Date(k.createdAt), activatesAt: new Date(k.activatesAt), retiresAt: date(k.retiresAt), deletesAt: date(k.deletesAt) })),
  }));
}
