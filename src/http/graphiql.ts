/**
 * GraphiQL at /graphql for a browser (a GET that prefers HTML), whenever introspection is on:
 * development, or production with GRAPHQL_INTROSPECTION=true (README "GraphQL"). Everything the
 * page loads comes from this server (graphiql-assets.ts): it works offline and behind a strict
 * firewall, and its Content-Security-Policy names no other origin. Without the IDE's files the
 * page says so and shows how to query with curl.
 */
import type { Request, RequestHandler } from 'express';
import { html } from '../interaction/views/html.js';
import { notFound } from './errors.js';
import { GRAPHIQL_FILES, locateGraphiql } from './graphiql-assets.js';
import { OWN_FILES } from './graphiql-client.js';

/**
 * The IDE page's policy: scripts, styles and requests of this origin only (no inline script).
 * GraphiQL's stylesheet embeds its fonts and a few icons as data: URLs.
 */
export const GRAPHIQL_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "font-src data:",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The page without the IDE: text and our stylesheet only. */
const PLAIN_CSP = "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** A browser navigating here, rather than a GraphQL client (which asks for JSON, or anything). */
function prefersHtml(req: Request): boolean {
  return req.accepts(['application/json', 'application/graphql-response+json', 'text/html']) === 'text/html';
}

/**
 * Mounted on the GraphQL path, before the GraphQL handler: the page, and its files under `ide/`.
 * `files` (by served name) default to those graphiql-assets.ts finds; null: not installed. A plain
 * middleware, not a Router: a Router's routes answer OPTIONS themselves, which would take the
 * CORS preflight of /graphql away from its handler.
 */
export function graphiqlHandler(files: ReadonlyMap<string, string> | null = locateGraphiql() ?? null): RequestHandler {
  return (req, res, next) => {
    const read = req.method === 'GET' || req.method === 'HEAD';
    if (req.path === '/') {
      if (!read || !prefersHtml(req)) return next();
      res.set('Cache-Control', 'no-cache').type('html');
      if (!files) return void res.set('Content-Security-Policy', PLAIN_CSP).send(notInstalledPage(req));
      return void res.set('Content-Security-Policy', GRAPHIQL_CSP).send(idePage(req.baseUrl));
    }
    if (!req.path.startsWith('/ide/')) return next();
    // Nothing under ide/ is a GraphQL request: one of our files, or 404.
    const name = req.path.slice('/ide/'.length);
    const own = read ? OWN_FILES.get(name) : undefined;
    if (own) return void res.set({ 'Content-Type': own.type, 'Cache-Control': 'no-cache' }).send(own.body);
    const path = read ? files?.get(name) : undefined;
    if (!path) return notFound(req, res);
    res.sendFile(path, { maxAge: '1h', dotfiles: 'deny' }, (err) => err && next(err));
  };
}

function idePage(base: string): string {
  const asset = (name: string) => `${base}/ide/${name}`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>GraphiQL – jwt-oidc GraphQL API</title>
${GRAPHIQL_FILES.filter((f) => f.name.endsWith('.css')).map((f) => html`<link rel="stylesheet" href="${asset(f.name)}">\n`)}<link rel="stylesheet" href="${asset('page.css')}">
</head>
<body>
<main id="graphiql" data-endpoint="${base}">Loading GraphiQL…</main>
<noscript>GraphiQL needs JavaScript. Without it, send queries with curl: POST JSON to ${base}.</noscript>
${GRAPHIQL_FILES.filter((f) => f.name.endsWith('.js')).map((f) => html`<script src="${asset(f.name)}"></script>\n`)}<script src="${asset('start.js')}"></script>
</body>
</html>
`.toString();
}

function notInstalledPage(req: Request): string {
  const endpoint = `${req.protocol}://${req.get('host') ?? 'localhost'}${req.baseUrl}`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>GraphQL API – jwt-oidc</title>
<link rel="stylesheet" href="${req.baseUrl}/ide/page.css">
</head>
<body class="plain">
<main>
<h1>GraphQL API</h1>
<p>The GraphQL IDE (GraphiQL) is not installed with this copy of jwt-oidc: its files come with
<code>npm run build</code> (in <code>dist/assets/graphiql</code>) or with the development dependencies.</p>
<p>Query the API with any GraphQL client, or with curl:</p>
<pre>curl ${endpoint} \\
  -H 'Content-Type: application/json' \\
  -d '{"query": "{ serverInfo { version mode issuer } }"}'</pre>
<p>With an access token, add <code>-H 'Authorization: Bearer …'</code>. The schema is
<code>schema/schema.graphql</code> in the package.</p>
</main>
</body>
</html>
`.toString();
}
