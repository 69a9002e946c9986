import { AuditEventRow } from './audit-event.js';
import { AuthorizationCode } from './authorization-code.js';
import { Client } from './client.js';
import { ClientAssertion } from './client-assertion.js';
import { AccountToken } from './account-token.js';
import { Consent } from './consent.js';
import { DatabaseOwner } from './database-owner.js';
import { DeviceRequest } from './device-request.js';
import { DpopProof } from './dpop-proof.js';
import { FailureEvent } from './failure-event.js';
import { Grant } from './grant.js';
import { InitialAccessToken } from './initial-access-token.js';
import { Interaction } from './interaction.js';
import { PushedAuthorizationRequest } from './pushed-authorization-request.js';
import { RefreshToken } from './refresh-token.js';
import { RevokedToken } from './revoked-token.js';
import { RpSession } from './rp-session.js';
import { Session } from './session.js';
import { SigningKey } from './signing-key.js';
import { RecoveryCode } from './recovery-code.js';
import { Resource } from './resource.js';
import { User } from './user.js';
import { UserFactor } from './user-factor.js';

/** Every entity, in one list for the ORM config. */
export const entities = [User, SigningKey, Client, Session, Interaction, Grant, AuthorizationCode, RefreshToken, Consent, RevokedToken, RpSession, FailureEvent, DatabaseOwner, AuditEventRow, AccountToken, UserFactor, RecoveryCode, Resource, PushedAuthorizationRequest, ClientAssertion, InitialAccessToken, DpopProof, DeviceRequest];
export { AccountToken, AuditEventRow, AuthorizationCode, Client, ClientAssertion, Consent, DatabaseOwner, DeviceRequest, DpopProof, FailureEvent, Grant, InitialAccessToken, Interaction, PushedAuthorizationRequest, RecoveryCode, RefreshToken, Resource, RevokedToken, RpSession, Session, SigningKey, User, UserFactor };
