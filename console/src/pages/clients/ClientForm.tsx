/**
 * One form for a new client and for changing one: every option of `jwt-oidc clients create`
 * (src/cli/clients.ts), each a labelled control with its problem beside it. The state is the
 * caller's (clients/form.ts converts it), so that a refused save keeps everything typed.
 */
import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode, type RefObject } from 'react';
import { CheckboxField, ChoiceField, ListField, SelectField, TextAreaField, TextField } from '../../components/Field';
import { claimRow, GRANT_TYPES, ID_TOKEN_ALGS, RESPONSE_TYPES, restrictionRow, USER_FIELDS, type ClaimRow, type ClientForm as FormState, type RestrictionRow } from './form';

export interface ClientFormProps {
  mode: 'create' | 'edit';
  value: FormState;
  onChange(value: FormState): void;
  onSubmit(): void;
  /** Problems by input field name (the form's own checks and the server's BAD_USER_INPUT). */
  errors: Record<string, string>;
  busy?: boolean;
  submitLabel: string;
  /** The provider's own ID-token algorithm, named in the "default" option when known. */
  defaultAlg?: string | null;
  /** Counts the failed submits: each moves the focus to the first field with a problem (WCAG 2.2 §3.3.1). */
  attempt?: number;
  children?: ReactNode;
}

export function ClientForm({ mode, value, onChange, onSubmit, errors, busy, submitLabel, defaultAlg, attempt = 0, children }: ClientFormProps) {
  const form = useRef<HTMLFormElement>(null);
  const set = <K extends keyof FormState>(key: K, v: FormState[K]) => onChange({ ...value, [key]: v });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSubmit();
  };
  useEffect(() => {
    if (attempt === 0) return;
    const error = form.current?.querySelector('.field-error');
    const control = error?.closest('.field, .clients-rows')?.querySelector<HTMLElement>('input, textarea, select, button');
    control?.focus();
  }, [attempt]);

  return (
    <form ref={form} className="clients-form" noValidate onSubmit={submit} aria-label={mode === 'create' ? 'New client' : 'Client settings'}>
      <section className="clients-group" aria-labelledby={`clients-${mode}-identity`}>
        <h2 id={`clients-${mode}-identity`}>Identity</h2>
        {mode === 'create' ? (
          <TextField label="Client ID (optional)" name="id" value={value.id} onChange={(e) => set('id', e.target.value)} error={errors.id} autoComplete="off" spellCheck={false} hint="Leave empty for a random one. Letters, digits and . _ ~ - only; it cannot be changed later." />
        ) : null}
        <TextField label="Name" name="name" value={value.name} onChange={(e) => set('name', e.target.value)} error={errors.name} required autoComplete="off" hint="Shown to users on the consent page." />
        {mode === 'create' ? (
          <CheckboxField label="Public client" checked={value.public} onChange={(v) => set('public', v)} error={errors.public} hint="A single-page or native app, which cannot keep a secret: it gets no secret and must use PKCE. This cannot be changed later." />
        ) : null}
        {value.public ? null : <Authentication value={value} set={set} errors={errors} />}
        <TextField label="Client URI" name="clientUri" type="url" value={value.clientUri} onChange={(e) => set('clientUri', e.target.value)} error={errors.clientUri} autoComplete="off" spellCheck={false} hint="The application's home page, linked from the provider's error pages: https, or http on loopback." />
        <TextField label="Logo URI" name="logoUri" type="url" value={value.logoUri} onChange={(e) => set('logoUri', e.target.value)} error={errors.logoUri} autoComplete="off" spellCheck={false} hint="An https image shown on the consent page." />
      </section>

      <section className="clients-group" aria-labelledby={`clients-${mode}-flows`}>
        <h2 id={`clients-${mode}-flows`}>Sign-in</h2>
        <ListField label="Redirect URIs" name="redirectUris" value={value.redirectUris} onChange={(v) => set('redirectUris', v)} error={errors.redirectUris} spellCheck={false} hint="One per line, matched exactly: https, http on a loopback host, or a reverse-domain app scheme (com.example.app:/callback). No fragment." />
        <ListField label="Post-logout redirect URIs" name="postLogoutRedirectUris" value={value.postLogoutRedirectUris} onChange={(v) => set('postLogoutRedirectUris', v)} error={errors.postLogoutRedirectUris} spellCheck={false} hint="One per line: where users may be sent after signing out at this client." />
        <ListField label="Allowed origins" name="allowedOrigins" value={value.allowedOrigins} onChange={(v) => set('allowedOrigins', v)} error={errors.allowedOrigins} spellCheck={false} hint="One per line, such as https://app.example: web pages that may call the provider from the browser (CORS)." />
        <ChoiceField label="Grant types" options={GRANT_TYPES} value={value.grantTypes} onChange={(v) => set('grantTypes', v)} error={errors.grantTypes} hint="authorization_code for users signing in (with refresh_token to stay signed in); client_credentials for a service calling APIs as itself; urn:ietf:params:oauth:grant-type:device_code for a TV or command-line tool whose user signs in on another device; implicit only for old browser apps." />
        <ChoiceField label="Response types" options={RESPONSE_TYPES} value={value.responseTypes} onChange={(v) => set('responseTypes', v)} error={errors.responseTypes} hint="What /authorize may return: code for the code flow; the others belong to the implicit and hybrid flows." />
        <CheckboxField label="First-party" checked={value.firstParty} onChange={(v) => set('firstParty', v)} error={errors.firstParty} hint="Your own application: users are not asked to consent." />
        <CheckboxField label="Admin client" checked={value.admin} onChange={(v) => set('admin', v)} error={errors.admin} hint="May obtain the admin scope with client_credentials, which administers this whole provider through the API. Confidential clients only." />
        <CheckboxField label="Require two-step sign-in" checked={value.requireMfa} onChange={(v) => set('requireMfa', v)} error={errors.requireMfa} hint="Every sign-in to this client ends with a second factor: users without one set up an authenticator app when they sign in, and a session with a password only asks for the code. Its ID tokens state acr urn:jwt-oidc:mfa." />
        <CheckboxField label="Require pushed authorization requests" checked={value.requirePar} onChange={(v) => set('requirePar', v)} error={errors.requirePar} hint="The application must send its sign-in requests to /par first (RFC 9126, PAR) and then the browser with only the request_uri it got; a plain sign-in request is refused. Its parameters then never pass through the browser." />
        <CheckboxField label="Require DPoP-bound tokens" checked={value.requireDpop} onChange={(v) => set('requireDpop', v)} error={errors.requireDpop} hint="The application must prove possession of its key with a DPoP proof at every token request (RFC 9449, dpop_bound_access_tokens); its access tokens then work only with proofs of that key, so a stolen token is useless alone." />
      </section>

      <section className="clients-group" aria-labelledby={`clients-${mode}-logout`}>
        <h2 id={`clients-${mode}-logout`}>Logout</h2>
        <CheckboxField label="Logout ends the provider session" checked={value.logoutAll} onChange={(v) => set('logoutAll', v)} error={errors.logoutAll} hint="Signing out at this client signs the user out of the provider too, so that the next person at the computer must sign in again. Unchecked: only this client's grants end." />
        <TextField label="Back-channel logout URI" name="backchannelLogoutUri" type="url" value={value.backchannelLogoutUri} onChange={(e) => set('backchannelLogoutUri', e.target.value)} error={errors.backchannelLogoutUri} autoComplete="off" spellCheck={false} hint="Where the provider POSTs a logout token when a user's session ends (OpenID Connect Back-Channel Logout): https, or http on loopback." />
      </section>

      <section className="clients-group" aria-labelledby={`clients-${mode}-tokens`}>
        <h2 id={`clients-${mode}-tokens`}>Tokens</h2>
        <SelectField label="ID token signing algorithm" value={value.idTokenSignedResponseAlg} onChange={(v) => set('idTokenSignedResponseAlg', v)} error={errors.idTokenSignedResponseAlg} hint="The algorithm of this client's ID tokens.">
          <option value="">{defaultAlg ? `Default (the provider's, now ${defaultAlg})` : "Default (the provider's)"}</option>
          {ID_TOKEN_ALGS.map((alg) => (
            <option key={alg} value={alg}>
              {alg}
            </option>
          ))}
        </SelectField>
        <ClaimRows rows={value.extraIdTokenClaims} onChange={(v) => set('extraIdTokenClaims', v)} error={errors.extraIdTokenClaims} />
        <RestrictionRows rows={value.userRestrictions} onChange={(v) => set('userRestrictions', v)} error={errors.userRestrictions} />
        <ListField label="Audiences" name="audiences" value={value.audiences} onChange={(v) => set('audiences', v)} error={errors.audiences} spellCheck={false} hint="One per line: APIs of other parties added to the audience of this client's access tokens." />
      </section>

      {children}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : submitLabel}
        </button>
      </div>
    </form>
  );
}


/**
 * How a confidential client authenticates: its secret, assertions MACed with its secret
 * (client_secret_jwt, OIDC Core §9), or assertions signed with its keys (private_key_jwt,
 * RFC 7523), whose public keys are pasted here or fetched from a URL.
 */
function Authentication({ value, set, errors }: { value: FormState; set<K extends keyof FormState>(key: K, v: FormState[K]): void; errors: Record<string, string> }) {
  const keys = value.tokenEndpointAuthMethod === 'private_key_jwt';
  return (
    <>
      <SelectField label="Client authentication" value={value.tokenEndpointAuthMethod} onChange={(v) => set('tokenEndpointAuthMethod', v)} error={errors.tokenEndpointAuthMethod} hint="How the client proves itself at the token endpoint. With a JWT MACed with its secret, the secret itself never travels. With its keys it has no secret: it signs a short-lived JWT with its private key, and the provider checks it with the public keys given here. To move an existing client to or from a secret JWT, rotate its secret.">
        <option value="client_secret_basic">A client secret (client_secret_basic or client_secret_post)</option>
        <option value="client_secret_jwt">A JWT MACed with its secret (client_secret_jwt)</option>
        <option value="private_key_jwt">Its keys: a signed JWT (private_key_jwt)</option>
      </SelectField>
      {keys ? (
        <>
          <SelectField label="Public keys" value={value.keySource} onChange={(v) => set('keySource', v)} hint="Paste the keys (they change only when you change them here), or give the URL where the client publishes them (it can rotate them itself).">
            <option value="jwks">Pasted here (a JWK Set)</option>
            <option value="jwksUri">Fetched from a URL (jwks_uri)</option>
          </SelectField>
          {value.keySource === 'jwks' ? (
            <TextAreaField label="JWK Set" name="jwks" value={value.jwks} onChange={(e) => set('jwks', e.target.value)} error={errors.jwks} rows={6} spellCheck={false} hint='The client&apos;s public keys as JSON: {"keys": [...]} with RSA, EC or OKP keys. Never a private key.' />
          ) : (
            <TextField label="JWK Set URL" name="jwksUri" type="url" value={value.jwksUri} onChange={(e) => set('jwksUri', e.target.value)} error={errors.jwksUri} autoComplete="off" spellCheck={false} hint="An https URL on a public address, where the client publishes its JWK Set." />
          )}
        </>
      ) : null}
    </>
  );
}

/** A group of rows: a fieldset with its hint and problem, the rows, and a button that adds one (it takes the focus to the new row). */
function Rows({ legend, hint, error, empty, addLabel, onAdd, addRef, children }: { legend: string; hint: string; error?: string; empty: string; addLabel: string; onAdd(): void; addRef: RefObject<HTMLButtonElement>; children: ReactNode[] }) {
  const id = useId();
  const described = [`${id}-hint`, error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <fieldset className="field clients-rows" aria-describedby={described}>
      <legend>{legend}</legend>
      <span className="hint" id={`${id}-hint`}>
        {hint}
      </span>
      {children.length ? children : <p className="muted clients-none">{empty}</p>}
      {error ? (
        <span className="field-error" id={`${id}-error`}>
          {error}
        </span>
      ) : null}
      <div>
        <button type="button" ref={addRef} onClick={onAdd}>
          {addLabel}
        </button>
      </div>
    </fieldset>
  );
}

/**
 * The row just added takes the focus (its first control; rows loaded from the client do not);
 * after a removal the focus goes to the add button, instead of being lost with the row.
 */
function useRowFocus() {
  const [added, setAdded] = useState<string>();
  const addRef = useRef<HTMLButtonElement>(null);
  return { added, setAdded, addRef, removed: () => addRef.current?.focus() };
}

function ClaimRows({ rows, onChange, error }: { rows: ClaimRow[]; onChange(rows: ClaimRow[]): void; error?: string }) {
  const { added, setAdded, addRef, removed } = useRowFocus();
  const add = () => {
    const row = claimRow();
    setAdded(row.key);
    onChange([...rows, row]);
  };
  const update = (key: string, change: Partial<ClaimRow>) => onChange(rows.map((r) => (r.key === key ? { ...r, ...change } : r)));
  return (
    <Rows legend="Extra ID token claims" hint="A user field copied into the ID token under a claim name, released only when the client asks for the scope." error={error} empty="No extra claims." addLabel="Add claim" onAdd={add} addRef={addRef}>
      {rows.map((row, i) => (
        <div key={row.key} className="clients-row" role="group" aria-label={`Claim ${i + 1}`}>
          <RowInput label="Claim name" value={row.claim} onChange={(claim) => update(row.key, { claim })} autoFocus={row.key === added} />
          <RowSelect label="User field" value={row.field} options={USER_FIELDS} onChange={(field) => update(row.key, { field })} />
          <RowInput label="Scope" value={row.scope} onChange={(scope) => update(row.key, { scope })} />
          <RemoveButton what={`claim ${i + 1}`} onClick={() => {
              onChange(rows.filter((r) => r.key !== row.key));
              removed();
            }}
          />
        </div>
      ))}
    </Rows>
  );
}

function RestrictionRows({ rows, onChange, error }: { rows: RestrictionRow[]; onChange(rows: RestrictionRow[]): void; error?: string }) {
  const { added, setAdded, addRef, removed } = useRowFocus();
  const add = () => {
    const row = restrictionRow();
    setAdded(row.key);
    onChange([...rows, row]);
  };
  const update = (key: string, change: Partial<RestrictionRow>) => onChange(rows.map((r) => (r.key === key ? { ...r, ...change } : r)));
  return (
    <Rows legend="User restrictions" hint="Users whose field equals the value (ignoring case) may not sign in to this client." error={error} empty="No restrictions: every user may sign in." addLabel="Add restriction" onAdd={add} addRef={addRef}>
      {rows.map((row, i) => (
        <div key={row.key} className="clients-row" role="group" aria-label={`Restriction ${i + 1}`}>
          <RowSelect label="User field" value={row.field} options={USER_FIELDS} onChange={(field) => update(row.key, { field })} autoFocus={row.key === added} />
          <RowInput label="Equals" value={row.equals} onChange={(equals) => update(row.key, { equals })} />
          <RemoveButton what={`restriction ${i + 1}`} onClick={() => {
              onChange(rows.filter((r) => r.key !== row.key));
              removed();
            }}
          />
        </div>
      ))}
    </Rows>
  );
}

function RowInput({ label, value, onChange, autoFocus }: { label: string; value: string; onChange(value: string): void; autoFocus?: boolean }) {
  const id = useId();
  return (
    <div className="clients-cell">
      <label htmlFor={id}>{label}</label>
      <input id={id} type="text" value={value} onChange={(e) => onChange(e.target.value)} autoComplete="off" spellCheck={false} autoFocus={autoFocus} />
    </div>
  );
}

function RowSelect({ label, value, options, onChange, autoFocus }: { label: string; value: string; options: readonly string[]; onChange(value: string): void; autoFocus?: boolean }) {
  const id = useId();
  return (
    <div className="clients-cell">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)} autoFocus={autoFocus}>
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </div>
  );
}

function RemoveButton({ what, onClick }: { what: string; onClick(): void }) {
  return (
    <button type="button" className="clients-remove" onClick={onClick}>
      Remove<span className="visually-hidden"> {what}</span>
    </button>
  );
}
