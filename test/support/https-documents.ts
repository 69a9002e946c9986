/**
 * A real HTTPS server on loopback serving client ID metadata documents, its certificate signed by
 * a test CA made with openssl for this run (the CA goes to the fetch as its test-only `testCa`,
 * as NODE_EXTRA_CA_CERTS would for the service). Each path's answer is set by the test; the
 * requests per path are counted.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Host names the certificate is for, besides 127.0.0.1 and localhost (tests make them resolve to loopback). */
export const DOCUMENT_HOSTS = ['app.cimd.test', 'other.cimd.test'];

export type Answer = (req: IncomingMessage, res: ServerResponse) => void;

export class DocumentServer {
  ca = '';
  hits = new Map<string, number>();
  private server!: Server;
  private answers = new Map<string, Answer>();

  async start(): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'cimd-ca-'));
    try {
      const ssl = (...args: string[]) => execFileSync('/usr/bin/openssl', args, { cwd: dir, stdio: 'pipe' });
      ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=jwt-oidc test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign');
      ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', '/CN=localhost');
      writeFileSync(join(dir, 'ext.cnf'), `subjectAltName=IP:127.0.0.1,DNS:localhost,${DOCUMENT_HOSTS.map((h) => `DNS:${h}`).join(',')}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
      ssl('x509', '-req', '-in', 'srv.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'srv.crt', '-days', '2', '-extfile', 'ext.cnf');
      this.ca = readFileSync(join(dir, 'ca.crt'), 'utf8');
      this.server = createServer({ key: readFileSync(join(dir, 'srv.key')), cert: readFileSync(join(dir, 'srv.crt')) }, (req, res) => {
        const path = req.url ?? '/';
        this.hits.set(path, (this.hits.get(path) ?? 0) + 1);
        const answer = this.answers.get(path);
        if (answer) answer(req, res);
        else res.writeHead(404).end();
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  url(path: string, host = '127.0.0.1'): string {
    return `https://${host}:${this.port}${path}`;
  }

  /** `path` answers with `answer`. */
  on(path: string, answer: Answer): void {
    this.answers.set(path, answer);
  }

  /** `path` answers the JSON `doc` with `headers`. */
  serve(path: string, doc: unknown, headers: Record<string, string> = {}): void {
    this.on(path, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(doc));
    });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}
