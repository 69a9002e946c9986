import { Entity, Index, ManyToOne, OptionalProps, PrimaryKeyProp, Property } from '@mikro-orm/core';
import { Client } from './client.js';
import { User } from './user.js';

/** Scopes a user has agreed to give a client; merged as more are granted, never replaced. */
@Entity({ tableName: 'consents' })
@Index({ properties: ['clientId'] })
export class Consent {
  [PrimaryKeyProp]?: ['userId', 'clientId'];
  [OptionalProps]?: 'createdAt' | 'updatedAt';

  @ManyToOne(() => User, { fieldName: 'user_id', primary: true, mapToPk: true, deleteRule: 'cascade' })
  userId!: string;

  @ManyToOne(() => Client, { fieldName: 'client_id', primary: true, mapToPk: true, deleteRule: 'cascade' })
  clientId!: string;

  @Property({ type: 'json' })
  scopes!: string[];

  /** When the user first consented to this client (the `firstGrantedAt` of their connected apps); widening keeps it. */
  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
