/**
 * One family's keys along time: a drawing (inline SVG, its geometry in attributes, since the
 * console's CSP forbids `style` attributes) that is hidden from assistive technology, and a
 * table with the same facts in text, which everyone sees too.
 */
import { ScrollTable } from '../../components/ScrollTable';
import { formatTime } from '../../graphql/problems';
import { layoutTimeline, relativeTime, shortKid, type Phase, type TimelineKeyInput } from './timeline';

export interface KeyFamily {
  family: string;
  alg?: string | null;
  activeKid?: string | null;
  nextRotationAt?: string | null;
  keys: readonly TimelineKeyInput[];
}

/** The drawing's coordinate width: x and width attributes are in thousandths of the window. */
const W = 1000;
const H = 20;

export function KeyTimeline({ family, now }: { family: KeyFamily; now: number }) {
  const t = layoutTimeline(family.keys, now, { nextRotationAt: family.nextRotationAt });
  const x = (f: number) => Math.round(f * W * 10) / 10;
  return (
    <>
      <div className="keys-tl" aria-hidden="true">
        {t.rows.map((row) => (
          <div className="keys-tl-row" key={row.kid}>
            <span className="keys-tl-label">
              <code>{shortKid(row.kid)}</code>
            </span>
            <svg className="keys-tl-bar" viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" focusable="false">
              {row.segments.map((s) => (
                <rect key={s.phase} className={`keys-tl-seg keys-tl-${s.phase}`} x={x(s.start)} width={Math.max(0, x(s.end) - x(s.start))} y={3} height={H - 6} vectorEffect="non-scaling-stroke" />
              ))}
              {row.leavesAt !== null ? <line className="keys-tl-leaves" x1={x(row.leavesAt)} x2={x(row.leavesAt)} y1={1} y2={H - 1} vectorEffect="non-scaling-stroke" /> : null}
              {t.nextRotation?.inWindow ? <line className="keys-tl-next" x1={x(t.nextRotation.fraction)} x2={x(t.nextRotation.fraction)} y1={0} y2={H} vectorEffect="non-scaling-stroke" /> : null}
              <line className="keys-tl-now" x1={x(t.nowAt)} x2={x(t.nowAt)} y1={0} y2={H} vectorEffect="non-scaling-stroke" />
            </svg>
          </div>
        ))}
        <div className="keys-tl-axis">
          <span>{formatTime(new Date(t.from).toISOString())}</span>
          <span>{formatTime(new Date(t.to).toISOString())}</span>
        </div>
        <ul className="keys-tl-legend">
          {(['pending', 'active', 'retired'] as Phase[]).map((p) => (
            <li key={p}>
              <Swatch className={`keys-tl-seg keys-tl-${p}`} />
              {p}
            </li>
          ))}
          <li>
            <Swatch className="keys-tl-now" line />
            now
          </li>
          {t.nextRotation ? (
            <li>
              <Swatch className="keys-tl-next" line />
              next rotation
            </li>
          ) : null}
          <li>
            <Swatch className="keys-tl-leaves" line />
            leaves the JWKS
          </li>
        </ul>
      </div>
      <dl className="props">
        <dt>Signing now</dt>
        <dd>{family.activeKid ? <code>{family.activeKid}</code> : 'no key (none is active)'}</dd>
        <dt>Next rotation</dt>
        <dd>{family.nextRotationAt ? <When iso={family.nextRotationAt} now={now} /> : 'none planned'}</dd>
      </dl>
      <ScrollTable label={`Keys of ${family.family}`} caption={`Keys of ${family.family}, oldest first`} className="keys-table">
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">State</th>
              <th scope="col">Published</th>
              <th scope="col">Signs from</th>
              <th scope="col">Stops signing</th>
              <th scope="col">Leaves the JWKS</th>
            </tr>
          </thead>
          <tbody>
            {t.rows.map((row) => {
              const key = family.keys.find((k) => k.kid === row.kid)!;
              return (
                <tr key={row.kid} className={`keys-row-${row.state}`}>
                  <td>
                    <code>{row.kid}</code> <span className="muted">{row.alg}</span>
                  </td>
                  <td>
                    <span className={`badge keys-state-${row.state}`}>
                      {row.state}
                    </span>
                  </td>
                  <td>
                    <When iso={key.createdAt} now={now} />
                  </td>
                  <td>
                    <When iso={key.activatesAt} now={now} />
                  </td>
                  <td>{key.retiresAt ? <When iso={key.retiresAt} now={now} /> : row.state === 'pending' || row.state === 'active' ? 'when a successor takes over' : '—'}</td>
                  <td>{key.deletesAt ? <When iso={key.deletesAt} now={now} /> : 'not planned yet'}</td>
                </tr>
              );
            })}
          </tbody>
      </ScrollTable>
    </>
  );
}

function When({ iso, now }: { iso: string; now: number }) {
  const t = Date.parse(iso);
  return (
    <time dateTime={iso}>
      {formatTime(iso)}
      {Number.isNaN(t) ? null : <span className="muted"> ({relativeTime(t, now)})</span>}
    </time>
  );
}

function Swatch({ className, line }: { className: string; line?: boolean }) {
  return (
    <svg className="keys-tl-swatch" viewBox="0 0 20 12" focusable="false">
      {line ? <line className={className} x1={10} x2={10} y1={0} y2={12} /> : <rect className={className} x={1} y={1} width={18} height={10} />}
    </svg>
  );
}
