/**
 * `protectedResourceMetadata(options)`: serves an API's OAuth 2.0 Protected Resource Metadata
 * (RFC 9728) at its well-known path, to be mounted at the root of the app
 * (`app.use(protectedResourceMetadata({ resource, authorizationServers }))`). The document is
 * built once (protectedResourceMetadata of @jwt-oidc/resource) and answered to GET and HEAD with
 * `Cache-Control: public, max-age=300` and CORS open to any origin: it is public by definition,
 * and browser clients read it to find their authorization server (RFC 9728 §3.2).
 */
import { Router, type Request, type Response } from 'express';
import { protectedResourceMetadata as metadataOf, type ProtectedResourceMetadataOptions } from '@jwt-oidc/resource';

export type ProtectedResourceMetadataRouter = Router & {
  /** The document's URL: pass it as `resourceMetadataUrl` to `bearerAuth` (or the Apollo plugin). */
  url: string;
  /** The metadata served. */
  document: Record<string, unknown>;
};

export function protectedResourceMetadata(options: ProtectedResourceMetadataOptions): ProtectedResourceMetadataRouter {
  const { url, path, document } = metadataOf(options);
  const body = JSON.stringify(document);
  const router = Router() as ProtectedResourceMetadataRouter;
  const headers = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'public, max-age=300', 'Access-Control-Allow-Origin': '*' };
  router.get(path, (_req: Request, res: Response) => {
    res.set(headers).send(body);
  });
  router.options(path, (_req: Request, res: Response) => {
    res.set({ 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': 'GET', 'Access-Control-Max-Age': '600' }).status(204).end();
  });
  router.url = url;
  router.document = document;
  return router;
}
