/** What a grant module provides: the parameters it reads and the handler that answers. */
import type { RegisteredClient } from '../../clients/client-registry.js';
import type { ProviderContext } from '../context.js';
import type { ProviderRequest } from '../http-result.js';
import type { Params } from '../params.js';
import type { VerifiedDpopProof } from '@jwt-oidc/resource';

export interface TokenResponse {
  access_token: string;
  /** `DPoP` for a token bound to the request's DPoP key (RFC 9449 §5), else `Bearer`; `N_A` for an exchanged token that is no access token (RFC 8693 §2.2.1). */
  token_type: 'Bearer' | 'DPoP' | 'N_A';
  /** The type of the token issued by a token exchange (RFC 8693 §2.2.1). */
  issued_token_type?: string;
  expires_in: number;
  scope: string;
  id_token?: string;
  refresh_token?: string;
}

export interface GrantType {
  /** Parameters of this grant (besides grant_type and client authentication); each must come once. */
  parameters: readonly string[];
  /** `dpop`: the request's verified DPoP proof, whose key the access token is then bound to (RFC 9449 §5). */
  handler(ctx: ProviderContext, client: RegisteredClient, params: Params, req: ProviderRequest, dpop?: VerifiedDpopProof): Promise<TokenResponse>;
}
