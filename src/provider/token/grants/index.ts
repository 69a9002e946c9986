/** The grant types of the token endpoint: a registry, not a switch (RFC 6749 §4). */
import type { GrantType } from '../grant-type.js';
import { authorizationCode } from './authorization-code.js';
import { clientCredentials } from './client-credentials.js';
import { DEVICE_CODE_GRANT, deviceCode } from './device-code.js';
import { refreshToken } from './refresh-token.js';
import { tokenExchange } from './token-exchange.js';
import { TOKEN_EXCHANGE_GRANT } from '../../../clients/client-service.js';

export const GRANT_TYPES: Readonly<Record<string, GrantType>> = Object.freeze({
  authorization_code: authorizationCode,
  refresh_token: refreshToken,
  client_credentials: clientCredentials,
  [DEVICE_CODE_GRANT]: deviceCode,
  [TOKEN_EXCHANGE_GRANT]: tokenExchange,
});
