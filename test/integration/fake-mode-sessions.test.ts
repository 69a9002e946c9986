/**
 * The fake mode is the provider with another login step (docs/ARCHITECTURE.md "The fake mode"),
 * so the provider's suites hold in it too: the suites of prompts, introspection, logout,
 * userinfo and parallel bursts run again here against a server started with JWT_OIDC_TYPE=fake,
 * signing in on the fake's page (test/support/provider.ts TEST_MODE).
 * The fake-mode files are a project of their own, isolated (vitest.config.ts): they set the
 * mode before the suites are loaded.
 */
process.env.JWT_OIDC_TEST_MODE = 'fake';

await import('../security/prompt-introspection-logout.test.js');
await import('../security/userinfo.test.js');
await import('../security/concurrency.test.js');
