import { Entity, Index, ManyToOne, OptionalProps, PrimaryKeyProp, Property } from '@mikro-orm/core';
import { Client } from './client.js';
import { User } from './user.js';

/** Scopes a user has agreed to give a client; merged as more are granted, never replaced. */
@Entity({ tableName: 'consents' })
@Index({ properties: ['clientId'] })
export class Consent {
  [PrimaryKeyProp]?: ['userId', 'clientId'];
  [OptionalProps]?: 'updatedAt';

  @ManyToOne(() => User, { fieldName: 'user_id', primary: true, mapToPk: true, deleteRule: 'cascade' })
  userId!: string;

  @ManyToOne(() => Client, { fieldName: 'client_id', primary: true, mapToPk: true, deleteRule: 'cascade' })
  clientId!: string;

  @Property({ type: 'json' })
  scopes!: string[];

  @Property({ type: 'datetime', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
