/** What a grant module provides: the parameters it reads and the handler that answers. */
import type { RegisteredClient } from '../../clients/client-registry.js';
import type { ProviderContext } from '../context.js';
import type { ProviderRequest } from '../http-result.js';
import type { Params } from '../params.js';

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  id_token?: string;
  refresh_token?: string;
}

export interface GrantType {
  /** Parameters of this grant (besides grant_type and client authentication); each must come once. */
  parameters: readonly string[];
  handler(ctx: ProviderContext, client: RegisteredClient, params: Params, req: ProviderRequest): Promise<TokenResponse>;
}
