/**
 * Signing keys: each family's keys along time (pending → active → retired → gone from the JWKS,
 * src/keys/lifecycle.ts), and a rotation ahead of schedule, pre-published or at once
 * (`rotateKeys`, src/graphql/grants-resolver.ts; docs/CONSOLE.md).
 */
import { Fragment, useEffect, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { ConfirmButton } from '../components/ConfirmButton';
import { Empty, Loading, ProblemMessage } from '../components/Feedback';
import { graphql } from '../gql';
import { formatTime, problemOf, type Problem } from '../graphql/problems';
import { KeyTimeline } from './keys/KeyTimeline';
import { describeRotation } from './keys/rotation';
import { nextChange, PHASE_LABELS } from './keys/timeline';
import './keys/keys.css';

export const KeysFamilyFields = graphql(`
  fragment ConsoleKeysFamily on KeyFamilyStatus {
    family
    alg
    activeKid
    nextRotationAt
    keys {
      kid
      alg
      state
      createdAt
      activatesAt
      retiresAt
      deletesAt
    }
  }
`);

const KeysQuery = graphql(`
  query ConsoleKeysStatus {
    keyRotationStatus {
      ...ConsoleKeysFamily
    }
  }
`);

const RotateMutation = graphql(`
  mutation ConsoleKeysRotate($now: Boolean!) {
    rotateKeys(now: $now) {
      ...ConsoleKeysFamily
    }
  }
`);

/** The browser's clock, ticking every `every` ms, for "now" on the timeline. */
function useNow(every: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), every);
    return () => clearInterval(timer);
  }, [every]);
  return now;
}

/** setTimeout's longest delay (a 32-bit signed count of ms). */
const MAX_DELAY = 2 ** 31 - 1;

export function KeysPage() {
  const [{ data, error, fetching }, reexecute] = useQuery({ query: KeysQuery });
  const [, rotate] = useMutation(RotateMutation);
  const [done, setDone] = useState<{ now: boolean; lines: string[] } | null>(null);
  const [problem, setProblem] = useState<Problem>();
  const now = useNow(30_000);

  // A key changes state at a known time (a pending key starts signing…): ask again then, so that
  // the page never shows a state that has passed.
  useEffect(() => {
    if (!data) return;
    const next = nextChange(
      data.keyRotationStatus.flatMap((f) => f.keys),
      Date.now(),
    );
    if (next === null) return;
    const timer = setTimeout(() => reexecute({ requestPolicy: 'network-only' }), Math.min(MAX_DELAY, next - Date.now() + 1000));
    return () => clearTimeout(timer);
  }, [data, reexecute]);

  const run = async (immediately: boolean) => {
    setDone(null);
    setProblem(undefined);
    const before = data?.keyRotationStatus ?? [];
    const result = await rotate({ now: immediately });
    if (result.error || !result.data) {
      setProblem(problemOf(result.error) ?? { message: 'The rotation did not answer.', fields: {}, offline: true, sessionEnded: false });
      return;
    }
    setDone({ now: immediately, lines: describeRotation(before, result.data.rotateKeys, immediately, formatTime) });
    reexecute({ requestPolicy: 'network-only' });
  };

  const families = data?.keyRotationStatus ?? [];
  return (
    <>
      <h1>Signing keys</h1>
      <p>
        Keys rotate on their own: each signs for JWK_EXPIRATION_TIME, and its successor is published KEY_PREPUBLISH_TIME before it takes over. A rotation here
        starts one ahead of schedule, for every family.
      </p>
      <div className="actions keys-actions">
        <ConfirmButton label="Rotate" title="Rotate the signing keys?" confirmLabel="Rotate" danger={false} disabled={!data} onConfirm={() => run(false)}>
          <p>
            Each family gets a new key, published in the JWKS now. It starts signing only after the usual delay (KEY_PREPUBLISH_TIME), so that relying parties that
            cache the JWKS pick it up first; the current key signs until then.
          </p>
          <p>A family whose successor is already published keeps it: nothing changes there.</p>
        </ConfirmButton>
        <ConfirmButton label="Rotate now" title="Rotate the signing keys now?" confirmLabel="Rotate now" disabled={!data} onConfirm={() => run(true)}>
          <p>
            <strong>The new key signs at once</strong> (a successor already published takes over now). Relying parties that cached the JWKS may reject new tokens until
            they fetch it again.
          </p>
          <p>
            Tokens already issued stay valid until they expire: the old key stays published, for verifying only, until then. Use this when a key may have been
            compromised.
          </p>
        </ConfirmButton>
      </div>
      <div role="status">
        {done ? (
          <div className="notice success keys-done">
            <p>{done.now ? 'Keys rotated: the new keys sign now.' : 'Rotation started: the new keys are published and sign later.'}</p>
            <ul>
              {done.lines.map((line) => (
                <li key={line}>{line}</li>
              ))}
            </ul>
          </div>
        ) : null}
      </div>
      <ProblemMessage problem={problem} />
      <ProblemMessage problem={problemOf(error)} />
      {fetching && !data ? <Loading what="the signing keys" /> : null}
      {data && families.length === 0 ? <Empty>No signing keys yet.</Empty> : null}
      {families.map((f) => (
        <section key={f.family} aria-labelledby={`keys-${f.family}`} className="keys-family">
          <h2 id={`keys-${f.family}`}>
            {f.family} <span className="muted">· {f.alg ?? 'being retired'}</span>
          </h2>
          <KeyTimeline family={f} now={now} />
        </section>
      ))}
      {families.length > 0 ? (
        <section aria-labelledby="keys-states">
          <h2 id="keys-states">Key states</h2>
          <dl className="props">
            {Object.entries(PHASE_LABELS).map(([state, label]) => (
              <Fragment key={state}>
                <dt>{state}</dt>
                <dd>{label.slice(label.indexOf(':') + 2)}</dd>
              </Fragment>
            ))}
          </dl>
        </section>
      ) : null}
    </>
  );
}
