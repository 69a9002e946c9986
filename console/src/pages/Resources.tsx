/**
 * Resources (docs/CONSOLE.md): the protected resources clients may name with `resource`
 * (RFC 8707) — the list, registering one, and one resource's page with its settings and
 * deletion behind a confirmation. Built like the Clients pages, with their components.
 */
import { useMemo, useState, type FormEvent, type ReactNode } from 'react';
import { useMutation, useQuery } from 'urql';
import { ConfirmButton } from '../components/ConfirmButton';
import { ListField, SelectField, TextField } from '../components/Field';
import { Empty, Loading, ProblemMessage } from '../components/Feedback';
import { FormActions } from '../components/FormActions';
import { Pager, usePager } from '../components/Pager';
import { ScrollTable } from '../components/ScrollTable';
import { graphql } from '../gql';
import type { ConsoleResourceFragment } from '../gql/graphql';
import { formatTime, problemOf, type Problem } from '../graphql/problems';
import { Link, useRouter } from '../router';
import { clientsLeaveNotice, useClientsNotice } from './clients/notice';
import './clients/clients.css';
import './resources.css';

export const ResourceFields = graphql(`
  fragment ConsoleResource on Resource {
    id
    scopes
    accessTokenLifetime
    alg
    createdAt
  }
`);

const ResourcesListQuery = graphql(`
  query ConsoleResourcesList($after: String) {
    resources(first: 20, after: $after) {
      edges {
        node {
          ...ConsoleResource
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

const ResourceQuery = graphql(`
  query ConsoleResourcesResource($id: ID!) {
    resource(id: $id) {
      ...ConsoleResource
    }
    keyRotationStatus {
      family
      alg
    }
  }
`);

const AlgsQuery = graphql(`
  query ConsoleResourcesAlgs {
    keyRotationStatus {
      family
      alg
    }
  }
`);

const CreateResourceMutation = graphql(`
  mutation ConsoleResourcesCreate($input: CreateResourceInput!) {
    createResource(input: $input) {
      ...ConsoleResource
    }
  }
`);

const UpdateResourceMutation = graphql(`
  mutation ConsoleResourcesUpdate($id: ID!, $input: ResourceMetadataInput!) {
    updateResource(id: $id, input: $input) {
      ...ConsoleResource
    }
  }
`);

const DeleteResourceMutation = graphql(`
  mutation ConsoleResourcesDelete($id: ID!) {
    deleteResource(id: $id)
  }
`);

interface Form {
  id: string;
  scopes: string[];
  lifetime: string;
  alg: string;
}

const emptyForm: Form = { id: '', scopes: [], lifetime: '', alg: '' };
const formOf = (r: ConsoleResourceFragment): Form => ({ id: r.id, scopes: [...r.scopes], lifetime: r.accessTokenLifetime === null || r.accessTokenLifetime === undefined ? '' : String(r.accessTokenLifetime), alg: r.alg ?? '' });
const scopesOf = (f: Form) => f.scopes.map((s) => s.trim()).filter(Boolean);

/** The form's own checks, before the server's (which has the last word). */
function validate(f: Form, mode: 'create' | 'edit'): Record<string, string> {
  const errors: Record<string, string> = {};
  if (mode === 'create' && !f.id.trim()) errors.id = 'Enter the resource’s identifier, an absolute URI such as https://api.example.com/.';
  if (f.lifetime.trim() && !/^\d+$/.test(f.lifetime.trim())) errors.accessTokenLifetime = 'Enter a whole number of seconds, or leave it empty for the default.';
  return errors;
}

const lifetimeOf = (f: Form) => (f.lifetime.trim() ? Number(f.lifetime.trim()) : null);
const algOf = (f: Form) => f.alg || null;

/** The algorithms the provider signs with (its key families), for the choice of a resource's. */
function algsOf(families: readonly { family: string; alg?: string | null }[] | undefined): { primary: string | null; all: string[] } {
  const all = [...new Set((families ?? []).map((f) => f.alg).filter((a): a is string => !!a))];
  return { primary: families?.find((f) => f.family === 'primary')?.alg ?? null, all };
}

function Status({ message }: { message: string | undefined }) {
  return <div role="status">{message ? <p className="notice success">{message}</p> : null}</div>;
}

function ResourceForm({ mode, value, onChange, onSubmit, errors, busy, submitLabel, algs, children }: {
  mode: 'create' | 'edit';
  value: Form;
  onChange(f: Form): void;
  onSubmit(): void;
  errors: Record<string, string>;
  busy: boolean;
  submitLabel: string;
  algs: { primary: string | null; all: string[] };
  children?: ReactNode;
}) {
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSubmit();
  };
  return (
    <form onSubmit={submit} noValidate aria-label={mode === 'create' ? 'New resource' : 'Resource settings'}>
      {mode === 'create' ? (
        <TextField label="Identifier (URI)" name="id" value={value.id} onChange={(e) => onChange({ ...value, id: e.target.value })} error={errors.id} hint="An absolute URI without fragment or query: the exact aud of its access tokens." required />
      ) : null}
      <ListField label="Scopes" name="scopes" value={value.scopes} onChange={(scopes) => onChange({ ...value, scopes })} error={errors.scopes} hint="One per line: the only scopes its access tokens carry. Not openid, offline_access or admin." />
      <TextField label="Access token lifetime (seconds)" name="accessTokenLifetime" inputMode="numeric" value={value.lifetime} onChange={(e) => onChange({ ...value, lifetime: e.target.value })} error={errors.accessTokenLifetime} hint="1 to 86400; empty for the server default." />
      <SelectField label="Signing algorithm" value={value.alg} onChange={(alg) => onChange({ ...value, alg })} error={errors.alg}>
        <option value="">{algs.primary ? `Default (${algs.primary})` : 'Default'}</option>
        {algs.all.map((a) => (
          <option key={a} value={a}>
            {a}
          </option>
        ))}
      </SelectField>
      {children}
      <FormActions label={submitLabel} busyLabel="Saving…" busy={busy} />
    </form>
  );
}

export function ResourcesPage() {
  const pager = usePager();
  const notice = useClientsNotice('/resources');
  const context = useMemo(() => ({ additionalTypenames: ['Resource'] }), []);
  const [{ data, error }] = useQuery({ query: ResourcesListQuery, variables: { after: pager.after }, context });
  const resources = data?.resources.edges.map((e) => e.node) ?? [];
  return (
    <>
      <h1>Resources</h1>
      <Status message={notice} />
      <p>Protected resources (APIs) that clients may name with the resource parameter (RFC 8707): their access tokens have exactly the resource as audience and only its scopes.</p>
      <div className="toolbar clients-toolbar">
        <Link to="/resources/new" className="clients-create">
          Create resource
        </Link>
      </div>
      <section aria-labelledby="resources-list">
        <h2 id="resources-list">All resources</h2>
        <ProblemMessage problem={problemOf(error)} />
        {!data && !error ? <Loading what="resources" /> : null}
        {data && resources.length === 0 ? <Empty>No resources yet.</Empty> : null}
        {resources.length > 0 ? (
          <ScrollTable label="Resources" caption="Resources, by identifier">
            <thead>
              <tr>
                <th scope="col">Identifier</th>
                <th scope="col">Scopes</th>
                <th scope="col">Token lifetime</th>
                <th scope="col">Algorithm</th>
              </tr>
            </thead>
            <tbody>
              {resources.map((r) => (
                <tr key={r.id}>
                  <td className="resources-id">
                    <Link to={`/resources/${encodeURIComponent(r.id)}`}>{r.id}</Link>
                  </td>
                  <td>{r.scopes.length ? r.scopes.join(' ') : <span className="muted">—</span>}</td>
                  <td>{r.accessTokenLifetime ? `${r.accessTokenLifetime} s` : 'Default'}</td>
                  <td>{r.alg ?? 'Default'}</td>
                </tr>
              ))}
            </tbody>
          </ScrollTable>
        ) : null}
        {data && (pager.page > 1 || data.resources.pageInfo.hasNextPage) ? <Pager pager={pager} hasNextPage={data.resources.pageInfo.hasNextPage} endCursor={data.resources.pageInfo.endCursor} label="Resources" /> : null}
      </section>
    </>
  );
}

export function NewResourcePage() {
  const { navigate } = useRouter();
  const [form, setForm] = useState<Form>(emptyForm);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<Problem>();
  const [{ fetching }, create] = useMutation(CreateResourceMutation);
  const [{ data }] = useQuery({ query: AlgsQuery });
  const context = useMemo(() => ({ additionalTypenames: ['Resource'] }), []);

  const submit = async () => {
    setProblem(undefined);
    const own = validate(form, 'create');
    if (Object.keys(own).length) return setErrors(own);
    const result = await create({ input: { id: form.id.trim(), scopes: scopesOf(form), accessTokenLifetime: lifetimeOf(form), alg: algOf(form) } }, context);
    if (result.data) {
      clientsLeaveNotice('/resources', `Created resource ${result.data.createResource.id}.`);
      navigate('/resources');
      return;
    }
    const found = problemOf(result.error);
    setErrors(found?.fields ?? {});
    setProblem(found && Object.keys(found.fields).length ? undefined : found);
  };

  return (
    <>
      <p className="clients-back">
        <Link to="/resources">← All resources</Link>
      </p>
      <h1>New resource</h1>
      <ProblemMessage problem={problem} />
      <ResourceForm mode="create" value={form} onChange={setForm} onSubmit={() => void submit()} errors={errors} busy={fetching} submitLabel="Create resource" algs={algsOf(data?.keyRotationStatus)} />
    </>
  );
}

export function ResourcePage({ id }: { id: string }) {
  const [{ data, error, fetching }] = useQuery({ query: ResourceQuery, variables: { id } });
  if (fetching && !data) return <Loading what="the resource" />;
  if (!data) {
    return (
      <>
        <h1>Resource</h1>
        <ProblemMessage problem={problemOf(error) ?? { message: 'No answer from the server.', fields: {}, offline: true, sessionEnded: false }} />
      </>
    );
  }
  if (!data.resource) {
    return (
      <>
        <h1>No such resource</h1>
        <p>
          There is no resource <code>{id}</code>: it may have been deleted. <Link to="/resources">See all resources</Link>.
        </p>
      </>
    );
  }
  return <ResourceDetails key={data.resource.id} resource={data.resource} algs={algsOf(data.keyRotationStatus)} />;
}

function ResourceDetails({ resource, algs }: { resource: ConsoleResourceFragment; algs: { primary: string | null; all: string[] } }) {
  const { navigate } = useRouter();
  const [form, setForm] = useState<Form>(() => formOf(resource));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<Problem>();
  const [status, setStatus] = useState<string>();
  const [{ fetching }, update] = useMutation(UpdateResourceMutation);
  const [, remove] = useMutation(DeleteResourceMutation);
  const context = useMemo(() => ({ additionalTypenames: ['Resource'] }), []);

  const save = async () => {
    setProblem(undefined);
    setStatus(undefined);
    const own = validate(form, 'edit');
    if (Object.keys(own).length) return setErrors(own);
    const result = await update({ id: resource.id, input: { scopes: scopesOf(form), accessTokenLifetime: lifetimeOf(form), alg: algOf(form) } });
    if (result.data) {
      setErrors({});
      setForm(formOf(result.data.updateResource));
      setStatus('Saved.');
      return;
    }
    const found = problemOf(result.error);
    setErrors(found?.fields ?? {});
    setProblem(found && Object.keys(found.fields).length ? undefined : found);
  };
  const confirmDelete = async () => {
    setProblem(undefined);
    const result = await remove({ id: resource.id }, context);
    if (result.data?.deleteResource) {
      clientsLeaveNotice('/resources', `Deleted resource ${resource.id}.`);
      navigate('/resources');
    } else setProblem(problemOf(result.error));
  };

  return (
    <>
      <p className="clients-back">
        <Link to="/resources">← All resources</Link>
      </p>
      <h1 className="resources-id">{resource.id}</h1>
      <dl className="props clients-props">
        <dt>Identifier</dt>
        <dd className="resources-id">
          <code>{resource.id}</code>
        </dd>
        <dt>Created</dt>
        <dd>{formatTime(resource.createdAt)}</dd>
      </dl>
      <ProblemMessage problem={problem} />
      <ResourceForm mode="edit" value={form} onChange={setForm} onSubmit={() => void save()} errors={errors} busy={fetching} submitLabel="Save changes" algs={algs}>
        <Status message={status} />
      </ResourceForm>
      <section className="clients-section clients-danger-zone" aria-labelledby="resources-delete">
        <h2 id="resources-delete">Delete resource</h2>
        <p>Clients can no longer get tokens for it; tokens already issued live out their time.</p>
        <ConfirmButton label="Delete resource" title={`Delete this resource?`} confirmLabel="Delete resource" onConfirm={confirmDelete}>
          <p className="resources-id">
            Token requests naming <strong>{resource.id}</strong> will be refused with invalid_target, also for grants that included it. This cannot be undone.
          </p>
        </ConfirmButton>
      </section>
    </>
  );
}
