/**
 * Clients (docs/CONSOLE.md): the list with search and pages, registering a client (its secret
 * shown once), and one client's page with its settings, a new secret, and deletion. The admin
 * console's own client is the service's: shown, never changed (src/console/client.ts).
 */
import { ScrollTable } from '../components/ScrollTable';
import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { ConfirmButton } from '../components/ConfirmButton';
import { CopyButton } from '../components/CopyButton';
import { TextField } from '../components/Field';
import { Empty, Loading, ProblemMessage } from '../components/Feedback';
import { Pager, usePager } from '../components/Pager';
import { graphql } from '../gql';
import type { ConsoleClientsDetailFragment, ConsoleClientsRowFragment } from '../gql/graphql';
import { formatTime, problemOf, type Problem } from '../graphql/problems';
import { Link, useRouter } from '../router';
import { ClientForm } from './clients/ClientForm';
import { clientKind, createInput, emptyClientForm, formOf, FORM_FIELDS, placeProblems, updateInput, validate, type ClientForm as FormState } from './clients/form';
import { clientsLeaveNotice, useClientsNotice } from './clients/notice';
import './clients/clients.css';
import { serviceClientOwner } from '../service-clients';

export const ClientsRow = graphql(`
  fragment ConsoleClientsRow on Client {
    id
    name
    public
    firstParty
    admin
    redirectUris
  }
`);

export const ClientsDetail = graphql(`
  fragment ConsoleClientsDetail on Client {
    id
    name
    public
    tokenEndpointAuthMethod
    jwks
    jwksUri
    redirectUris
    postLogoutRedirectUris
    allowedOrigins
    grantTypes
    responseTypes
    firstParty
    admin
    requireMfa
    requirePar
    requireDpop
    logoutAll
    backchannelLogoutUri
    clientUri
    logoUri
    idTokenSignedResponseAlg
    extraIdTokenClaims {
      claim
      field
      scope
    }
    userRestrictions {
      field
      equals
    }
    audiences
    createdAt
    updatedAt
  }
`);

const ClientsListQuery = graphql(`
  query ConsoleClientsList($search: String, $after: String) {
    clients(search: $search, first: 20, after: $after) {
      edges {
        node {
          ...ConsoleClientsRow
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

const ClientQuery = graphql(`
  query ConsoleClientsClient($id: ID!) {
    client(id: $id) {
      ...ConsoleClientsDetail
    }
    keyRotationStatus {
      family
      alg
    }
  }
`);

const DefaultsQuery = graphql(`
  query ConsoleClientsDefaults {
    keyRotationStatus {
      family
      alg
    }
  }
`);

const CreateClientMutation = graphql(`
  mutation ConsoleClientsCreate($input: CreateClientInput!) {
    createClient(input: $input) {
      client {
        ...ConsoleClientsDetail
      }
      clientSecret
    }
  }
`);

const UpdateClientMutation = graphql(`
  mutation ConsoleClientsUpdate($id: ID!, $input: ClientMetadataInput!) {
    updateClient(id: $id, input: $input) {
      ...ConsoleClientsDetail
    }
  }
`);

const RotateSecretMutation = graphql(`
  mutation ConsoleClientsRotateSecret($id: ID!) {
    rotateClientSecret(id: $id) {
      client {
        id
        updatedAt
      }
      clientSecret
    }
  }
`);

const DeleteClientMutation = graphql(`
  mutation ConsoleClientsDelete($id: ID!) {
    deleteClient(id: $id)
  }
`);

/** The provider's own ID-token algorithm (the primary key family, SIGNATURE_ALG). */
function primaryAlg(families: readonly { family: string; alg?: string | null }[] | undefined): string | null {
  return families?.find((f) => f.family === 'primary')?.alg ?? null;
}

/** A live region, present before the message arrives so that screen readers announce it. */
function Status({ message }: { message: string | undefined }) {
  return <div role="status">{message ? <p className="notice success">{message}</p> : null}</div>;
}

export function ClientsPage() {
  const { search: params, navigate } = useRouter();
  // The search is in the URL (?search=), so that the back button from a client's page returns to it.
  const search = params.get('search') ?? '';
  const [typed, setTyped] = useState(search);
  useEffect(() => setTyped(search), [search]);
  const pager = usePager();
  const notice = useClientsNotice('/clients');
  // A new or deleted client makes the list stale even when it showed none (no typename to go by).
  const context = useMemo(() => ({ additionalTypenames: ['Client'] }), []);
  const variables = { search: search || null, after: pager.after };
  const [{ data: last, error, operation }] = useQuery({ query: ClientsListQuery, variables, context });
  // urql keeps the previous answer while another search or page loads: shown only if it is the answer to this one.
  const data = operation && operation.variables.search === variables.search && operation.variables.after === variables.after ? last : undefined;

  const submitSearch = (e: FormEvent) => {
    e.preventDefault();
    const text = typed.trim();
    pager.reset();
    navigate(text ? `/clients?search=${encodeURIComponent(text)}` : '/clients', { replace: true });
  };
  const clearSearch = () => {
    setTyped('');
    pager.reset();
    navigate('/clients', { replace: true });
  };

  const clients = data?.clients.edges.map((e) => e.node) ?? [];
  return (
    <>
      <h1>Clients</h1>
      <Status message={notice} />
      <div className="toolbar clients-toolbar">
        <form role="search" aria-label="Clients" className="clients-search" onSubmit={submitSearch}>
          <TextField label="Search clients" type="search" name="search" value={typed} onChange={(e) => setTyped(e.target.value)} hint="Part of a name or client ID." />
          <button type="submit">Search</button>
        </form>
        <Link to="/clients/new" className="clients-create">
          Create client
        </Link>
      </div>
      <section aria-labelledby="clients-list">
        <h2 id="clients-list">{search ? `Clients matching “${search}”` : 'All clients'}</h2>
        {search ? (
          <p>
            <button type="button" onClick={clearSearch}>
              Show all clients
            </button>
          </p>
        ) : null}
        <ProblemMessage problem={problemOf(error)} />
        {!data && !error ? <Loading what="clients" /> : null}
        {data && clients.length === 0 ? <Empty>{search ? `No client matches “${search}”.` : 'No clients yet.'}</Empty> : null}
        {clients.length > 0 ? <ClientsTable clients={clients} /> : null}
        {data && (pager.page > 1 || data.clients.pageInfo.hasNextPage) ? <Pager pager={pager} hasNextPage={data.clients.pageInfo.hasNextPage} endCursor={data.clients.pageInfo.endCursor} label="Clients" /> : null}
      </section>
    </>
  );
}

function ClientsTable({ clients }: { clients: readonly ConsoleClientsRowFragment[] }) {
  return (
    // Focusable, so that a keyboard can scroll it on a narrow screen.
    <ScrollTable label="Clients" caption="Clients, by client ID">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Client ID</th>
            <th scope="col">Type</th>
            <th scope="col">Flags</th>
            <th scope="col" className="clients-number">
              Redirect URIs
            </th>
          </tr>
        </thead>
        <tbody>
          {clients.map((c) => (
            <tr key={c.id}>
              <td>
                <Link to={`/clients/${encodeURIComponent(c.id)}`}>{c.name}</Link>
              </td>
              <td className="clients-id">
                <code>{c.id}</code>
              </td>
              <td>{clientKind(c)}</td>
              <td>
                <ClientBadges client={c} dash />
              </td>
              <td className="clients-number">{c.redirectUris.length}</td>
            </tr>
          ))}
        </tbody>
    </ScrollTable>
  );
}

/** The client's flags as badges; in a table cell, a dash for none. */
function ClientBadges({ client, dash = false }: { client: { id: string; firstParty: boolean; admin: boolean }; dash?: boolean }) {
  const badges = [
    serviceClientOwner(client.id) ? <span key="managed" className="badge clients-managed">Managed by the service</span> : null,
    client.firstParty ? <span key="first" className="badge clients-first-party">First-party</span> : null,
    client.admin ? <span key="admin" className="badge clients-admin">Admin</span> : null,
  ].filter(Boolean);
  if (badges.length) return <span className="clients-badges">{badges}</span>;
  return dash ? <span className="muted">—</span> : null;
}

/** A secret the server returns this once (RFC 7591 §3.2.1): shown with a copy button and the warning that it is not kept. */
function SecretOnce({ secret, what, sealed = false }: { secret: string; what: string; sealed?: boolean }) {
  return (
    <section className="clients-secret" aria-labelledby="clients-secret-title">
      <h2 id="clients-secret-title">{what}</h2>
      <p className="notice warning">
        <strong>Copy it now: it will not be shown again.</strong> {sealed ? 'The provider keeps it encrypted, to check the client\u2019s signed requests (client_secret_jwt), and never shows it.' : 'The provider keeps only a digest of it.'} Store it where the application reads its configuration; if it is lost, rotate the secret.
      </p>
      <div className="secret">
        <code className="clients-secret-value">{secret}</code>
        <CopyButton value={secret} label="Copy secret" />
      </div>
    </section>
  );
}

/** Server problems of a form: field ones beside the fields shown, the rest above the form. */
function formProblem(problem: Problem | undefined, shown: readonly string[]): { fields: Record<string, string>; problem?: Problem } {
  if (!problem) return { fields: {} };
  const placed = placeProblems(problem.fields, shown);
  const message = [problem.message, placed.rest].filter(Boolean).join(' ') || undefined;
  return { fields: placed.fields, problem: { ...problem, message } };
}

export function NewClientPage() {
  const [form, setForm] = useState<FormState>(emptyClientForm);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<Problem>();
  const [attempt, setAttempt] = useState(0);
  const [created, setCreated] = useState<{ client: ConsoleClientsDetailFragment; secret: string | null }>();
  const [{ fetching }, create] = useMutation(CreateClientMutation);
  const [{ data: defaults }] = useQuery({ query: DefaultsQuery });
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    // The page changed under the same path: its heading takes the focus, as after a navigation.
    if (created) heading.current?.focus();
  }, [created]);

  const submit = async () => {
    const own = validate(form, 'create');
    setProblem(undefined);
    if (Object.keys(own).length) {
      setErrors(own);
      setAttempt((n) => n + 1);
      return;
    }
    const result = await create({ input: createInput(form) });
    if (result.data) {
      setErrors({});
      setCreated({ client: result.data.createClient.client, secret: result.data.createClient.clientSecret ?? null });
      return;
    }
    const placed = formProblem(problemOf(result.error), FORM_FIELDS);
    setErrors(placed.fields);
    setProblem(placed.problem);
    setAttempt((n) => n + 1);
  };

  if (created) {
    const { client, secret } = created;
    return (
      <>
        <h1 ref={heading} tabIndex={-1}>
          Client created
        </h1>
        <Status message={`Created client “${client.name}”.`} />
        <dl className="props clients-props">
          <dt>Name</dt>
          <dd>{client.name}</dd>
          <dt>Client ID</dt>
          <dd>
            <code>{client.id}</code> <CopyButton value={client.id} label="Copy client ID" />
          </dd>
          <dt>Type</dt>
          <dd>{clientKind(client)}</dd>
        </dl>
        {secret ? <SecretOnce secret={secret} what="Client secret" sealed={client.tokenEndpointAuthMethod === 'client_secret_jwt'} /> : client.public ? <p>A public client has no secret: it signs users in with the code flow and PKCE.</p> : <p>This client has no secret: it authenticates with JWTs signed by its keys (private_key_jwt).</p>}
        <div className="actions">
          <Link to={`/clients/${encodeURIComponent(client.id)}`}>Go to the client’s page</Link>
          <Link to="/clients">All clients</Link>
        </div>
      </>
    );
  }

  return (
    <>
      <p className="clients-back">
        <Link to="/clients">← All clients</Link>
      </p>
      <h1>New client</h1>
      <p>Registers an application that signs users in here (a relying party). A confidential client gets a secret, shown once.</p>
      <ProblemMessage problem={problem} />
      <ClientForm mode="create" value={form} onChange={setForm} onSubmit={() => void submit()} errors={errors} busy={fetching} submitLabel="Create client" defaultAlg={primaryAlg(defaults?.keyRotationStatus)} attempt={attempt} />
    </>
  );
}

export function ClientPage({ id }: { id: string }) {
  const [{ data, error, fetching }] = useQuery({ query: ClientQuery, variables: { id } });
  if (fetching && !data) return <Loading what="the client" />;
  if (!data) {
    return (
      <>
        <h1>Client</h1>
        <ProblemMessage problem={problemOf(error) ?? { message: 'No answer from the server.', fields: {}, offline: true, sessionEnded: false }} />
      </>
    );
  }
  if (!data.client) {
    return (
      <>
        <h1>No such client</h1>
        <p>
          There is no client with the ID <code>{id}</code>: it may have been deleted. <Link to="/clients">See all clients</Link>.
        </p>
      </>
    );
  }
  return <ClientDetails key={data.client.id} client={data.client} defaultAlg={primaryAlg(data.keyRotationStatus)} />;
}

function ClientDetails({ client, defaultAlg }: { client: ConsoleClientsDetailFragment; defaultAlg: string | null }) {
  const owner = serviceClientOwner(client.id);
  return (
    <>
      <p className="clients-back">
        <Link to="/clients">← All clients</Link>
      </p>
      <h1>{client.name}</h1>
      <dl className="props clients-props">
        <dt>Client ID</dt>
        <dd>
          <code>{client.id}</code>
        </dd>
        <dt>Type</dt>
        <dd>
          {clientKind(client)} <ClientBadges client={client} />
        </dd>
        <dt>Token endpoint authentication</dt>
        <dd>
          <code>{client.tokenEndpointAuthMethod}</code>
        </dd>
        <dt>Created</dt>
        <dd>{formatTime(client.createdAt)}</dd>
        <dt>Last changed</dt>
        <dd>{formatTime(client.updatedAt)}</dd>
      </dl>
      {owner ? (
        <ManagedClient client={client} owner={owner} defaultAlg={defaultAlg} />
      ) : (
        <>
          <ClientEditor client={client} defaultAlg={defaultAlg} />
          {client.public ? null : <RotateSecret client={client} />}
          <DeleteClient client={client} />
        </>
      )}
    </>
  );
}

/** One of the service's own clients: the service writes it at every start, and the API refuses changes to it. */
function ManagedClient({ client, owner, defaultAlg }: { client: ConsoleClientsDetailFragment; owner: string; defaultAlg: string | null }) {
  const list = (values: readonly string[]) =>
    values.length ? (
      <ul className="clients-list-values">
        {values.map((v) => (
          <li key={v}>
            <code>{v}</code>
          </li>
        ))}
      </ul>
    ) : (
      '—'
    );
  const yes = (v: boolean) => (v ? 'Yes' : 'No');
  return (
    <>
      <p className="notice warning">This is {owner}’s own client. The service registers it and sets it anew at every start, so it cannot be changed, given a secret or deleted here.</p>
      <section aria-labelledby="clients-settings">
        <h2 id="clients-settings">Settings</h2>
        <dl className="props clients-props">
          <dt>Redirect URIs</dt>
          <dd>{list(client.redirectUris)}</dd>
          <dt>Post-logout redirect URIs</dt>
          <dd>{list(client.postLogoutRedirectUris)}</dd>
          <dt>Allowed origins</dt>
          <dd>{list(client.allowedOrigins)}</dd>
          <dt>Grant types</dt>
          <dd>{list(client.grantTypes)}</dd>
          <dt>Response types</dt>
          <dd>{list(client.responseTypes)}</dd>
          <dt>First-party</dt>
          <dd>{yes(client.firstParty)}</dd>
          <dt>Admin client</dt>
          <dd>{yes(client.admin)}</dd>
          <dt>Require two-step sign-in</dt>
          <dd>{yes(client.requireMfa)}</dd>
          <dt>Require pushed authorization requests</dt>
          <dd>{yes(client.requirePar)}</dd>
          <dt>Require DPoP-bound tokens</dt>
          <dd>{yes(client.requireDpop)}</dd>
          <dt>Logout ends the provider session</dt>
          <dd>{yes(client.logoutAll)}</dd>
          <dt>ID token signing algorithm</dt>
          <dd>{client.idTokenSignedResponseAlg ?? (defaultAlg ? `Default (${defaultAlg})` : 'Default')}</dd>
          <dt>Audiences</dt>
          <dd>{list(client.audiences)}</dd>
        </dl>
      </section>
    </>
  );
}

function ClientEditor({ client, defaultAlg }: { client: ConsoleClientsDetailFragment; defaultAlg: string | null }) {
  // The client the form started from: the changes are computed against it, and a save moves it on.
  const [base, setBase] = useState(client);
  const [form, setForm] = useState<FormState>(() => formOf(client));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<Problem>();
  const [status, setStatus] = useState<string>();
  const [attempt, setAttempt] = useState(0);
  const [{ fetching }, update] = useMutation(UpdateClientMutation);
  const shown = FORM_FIELDS.filter((f) => f !== 'id' && f !== 'public');

  const submit = async () => {
    setProblem(undefined);
    setStatus(undefined);
    const own = validate(form, 'edit');
    if (Object.keys(own).length) {
      setErrors(own);
      setAttempt((n) => n + 1);
      return;
    }
    const input = updateInput(form, base);
    if (Object.keys(input).length === 0) {
      setErrors({});
      setStatus('Nothing to save: no setting was changed.');
      return;
    }
    const result = await update({ id: client.id, input });
    if (result.data) {
      const saved = result.data.updateClient;
      setErrors({});
      setBase(saved);
      setForm(formOf(saved));
      setStatus('Saved.');
      return;
    }
    const placed = formProblem(problemOf(result.error), shown);
    setErrors(placed.fields);
    setProblem(placed.problem);
    setAttempt((n) => n + 1);
  };

  return (
    <>
      <ProblemMessage problem={problem} />
      <ClientForm mode="edit" value={form} onChange={setForm} onSubmit={() => void submit()} errors={errors} busy={fetching} submitLabel="Save changes" defaultAlg={defaultAlg} attempt={attempt}>
        <Status message={status} />
      </ClientForm>
    </>
  );
}

function RotateSecret({ client }: { client: ConsoleClientsDetailFragment }) {
  const [secret, setSecret] = useState<string>();
  const [problem, setProblem] = useState<Problem>();
  const [, rotate] = useMutation(RotateSecretMutation);
  const confirm = async () => {
    setProblem(undefined);
    const result = await rotate({ id: client.id });
    if (result.data?.rotateClientSecret.clientSecret) setSecret(result.data.rotateClientSecret.clientSecret);
    else setProblem(problemOf(result.error));
  };
  return (
    <section className="clients-section" aria-labelledby="clients-rotate">
      <h2 id="clients-rotate">Client secret</h2>
      <p>The provider never shows the secret again. If it was lost or may have leaked, make a new one.</p>
      <ProblemMessage problem={problem} />
      {secret ? <SecretOnce secret={secret} what="New client secret" sealed={client.tokenEndpointAuthMethod === 'client_secret_jwt'} /> : null}
      <ConfirmButton label="Rotate secret" title={`Rotate the secret of ${client.name}?`} confirmLabel="Rotate secret" onConfirm={confirm}>
        <p>The old secret stops working at once: the application cannot get tokens until it is given the new one, which is shown here once.</p>
      </ConfirmButton>
    </section>
  );
}

function DeleteClient({ client }: { client: ConsoleClientsDetailFragment }) {
  const { navigate } = useRouter();
  const [problem, setProblem] = useState<Problem>();
  const [, remove] = useMutation(DeleteClientMutation);
  // The answer is a Boolean: the lists that showed the client are told by typename.
  const context = useMemo(() => ({ additionalTypenames: ['Client'] }), []);
  const confirm = async () => {
    setProblem(undefined);
    const result = await remove({ id: client.id }, context);
    if (result.data?.deleteClient) {
      clientsLeaveNotice('/clients', `Deleted client “${client.name}”.`);
      navigate('/clients');
    } else setProblem(problemOf(result.error));
  };
  return (
    <section className="clients-section clients-danger-zone" aria-labelledby="clients-delete">
      <h2 id="clients-delete">Delete client</h2>
      <p>Deleting a client ends its grants and tokens; applications using it can no longer sign users in.</p>
      <ProblemMessage problem={problem} />
      <ConfirmButton label="Delete client" title={`Delete ${client.name}?`} confirmLabel="Delete client" onConfirm={confirm}>
        <p>
          All grants of <strong>{client.name}</strong> end and its tokens stop working at once; applications using it can no longer sign users in. This cannot be undone.
        </p>
      </ConfirmButton>
    </section>
  );
}
