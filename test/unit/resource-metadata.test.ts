/** Where RFC 9728 metadata lives for a resource identifier, and which identifiers are refused. */
import { BearerError, protectedResourceMetadata } from '@jwt-oidc/resource';
import { describe, expect, it } from 'vitest';

describe('protectedResourceMetadata', () => {
  it('puts the well-known segment between the host and the path (RFC 9728 §3.1)', () => {
    const cases = [
      ['https://api.example.com', '/.well-known/oauth-protected-resource'],
      ['https://api.example.com/', '/.well-known/oauth-protected-resource'],
      ['https://api.example.com/graphql', '/.well-known/oauth-protected-resource/graphql'],
      ['https://api.example.com/v1/orders/', '/.well-known/oauth-protected-resource/v1/orders'],
      ['http://127.0.0.1:4000/graphql', '/.well-known/oauth-protected-resource/graphql'],
    ];
    for (const [resource, path] of cases) {
      const m = protectedResourceMetadata({ resource: resource! });
      expect(m.path, resource).toBe(path);
      expect(m.url, resource).toBe(`${new URL(resource!).origin}${path}`);
      // The identifier is published exactly as configured: clients compare it byte for byte (§3.3).
      expect(m.document.resource).toBe(resource);
    }
  });

  it('lists what is given, and header-only bearer tokens by default', () => {
    expect(protectedResourceMetadata({ resource: 'https://api.example.com' }).document).toEqual({ resource: 'https://api.example.com', bearer_methods_supported: ['header'] });
    const full = protectedResourceMetadata({
      resource: 'https://api.example.com/v1',
      authorizationServers: ['https://id.example.com'],
      scopesSupported: ['orders:read'],
      resourceSigningAlgValuesSupported: ['ES256'],
      resourceName: 'Orders',
      resourceDocumentation: 'https://docs.example.com',
      resourcePolicyUri: 'https://example.com/policy',
      resourceTosUri: 'https://example.com/tos',
    }).document;
    expect(full).toEqual({
      resource: 'https://api.example.com/v1',
      authorization_servers: ['https://id.example.com'],
      scopes_supported: ['orders:read'],
      bearer_methods_supported: ['header'],
      resource_signing_alg_values_supported: ['ES256'],
      resource_name: 'Orders',
      resource_documentation: 'https://docs.example.com',
      resource_policy_uri: 'https://example.com/policy',
      resource_tos_uri: 'https://example.com/tos',
    });
  });

  it('refuses identifiers a client could not match: not a URL, a query, a fragment, credentials, http off loopback', () => {
    for (const resource of ['api', 'https://api.example.com/?v=1', 'https://api.example.com/#x', 'https://u:p@api.example.com/', 'http://api.example.com/', 'ftp://api.example.com/']) {
      expect(() => protectedResourceMetadata({ resource }), resource).toThrow(TypeError);
    }
    expect(protectedResourceMetadata({ resource: 'http://api.internal/', allowHttp: true }).path).toBe('/.well-known/oauth-protected-resource');
    expect(() => protectedResourceMetadata({ resource: 'https://api.example.com', authorizationServers: ['id.example.com'] })).toThrow(/issuer URL/);
  });
});

describe('BearerError.challenge', () => {
  it('names the metadata in resource_metadata (RFC 9728 §5.1), with or without a realm and an error', () => {
    const url = 'https://api.example.com/.well-known/oauth-protected-resource';
    expect(new BearerError('missing', 'x').challenge(undefined, url)).toBe(`Bearer resource_metadata="${url}"`);
    expect(new BearerError('invalid_token', 'expired').challenge('api', url)).toBe(`Bearer realm="api", resource_metadata="${url}", error="invalid_token", error_description="expired"`);
    expect(new BearerError('missing', 'x').challenge()).toBe('Bearer');
    expect(new BearerError('missing', 'x').challenge('api')).toBe('Bearer realm="api"');
  });
});
