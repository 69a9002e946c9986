/**
 * Mutations of a request: of its parameters (`mutate`, driven by `mutations()`), and which part
 * of a case is mutated at all (`focus`, `focused`), so that the rest stays valid. The fields
 * most properties share (mutations, header plan, body kind, seed) come from `variations`.
 */
import fc from 'fast-check';
import { bodyKind, type BodyKind } from './bodies.js';
import { headerPlan, type HeaderPlan } from './headers.js';
import { INJECT, junk, textOf, encodeVal, type Entry } from './values.js';

export type MutationKind =
  | 'delete'
  | 'replace'
  | 'pool'
  | 'append'
  | 'prepend'
  | 'truncate'
  | 'duplicate'
  | 'duplicateSame'
  | 'bracket'
  | 'extra'
  | 'raw'
  | 'bytes'
  | 'huge'
  | 'empty'
  | 'case'
  | 'rename'
  | 'inject';

export interface Mutation {
  kind: MutationKind;
  i: number;
  s: string;
  n: number;
}

const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom<MutationKind>('delete', 'replace', 'pool', 'pool', 'append', 'prepend', 'truncate', 'duplicate', 'duplicateSame', 'bracket', 'extra', 'raw', 'bytes', 'huge', 'empty', 'case', 'rename', 'inject', 'inject'),
  i: fc.nat(),
  s: junk,
  n: fc.nat(),
});

/** Up to `max` mutations; none in about a third of the cases (the base request itself). */
export function mutations(max = 4): fc.Arbitrary<Mutation[]> {
  return fc.oneof({ weight: 1, arbitrary: fc.constant<Mutation[]>([]) }, { weight: 2, arbitrary: fc.array(mutationArb, { minLength: 1, maxLength: max }) });
}

const RAW_JUNK = ['%', '%zz', '%ZZ%', '%FF', '%C0%AF', '%ED%A0%80', '%F4%90%80%80', '+', '%2B', '&', '=', '==', '%00', '%u0041', '%%', '%0A', '%0D%0A'];
const BRACKETS = ['[]', '[0]', '[toString]', '[__proto__]', '[$gt]', '[a][b]', '['];
const EXTRA_NAMES = ['__proto__', 'constructor', 'toString', 'prototype', 'hasOwnProperty', 'x', '', ' ', 'a[b]', '[', ']', '%00', 'a.b', 'client_id ', 'CLIENT_ID', 'scope\u0000'];

/**
 * Applies mutations to parameters: values from `pool` (real ids, URIs, tokens of the fixtures)
 * keep requests plausible enough to get past the first checks.
 */
export function mutate(base: Entry[], ops: Mutation[], pool: readonly string[] = []): Entry[] {
  const entries: Entry[] = base.map(([k, v]) => [k, v]);
  const names = [...new Set(base.map(([k]) => k))];
  for (const op of ops) {
    const idx = entries.length ? op.i % entries.length : -1;
    const at = idx >= 0 ? entries[idx]! : undefined;
    const text = at ? textOf(at[1]) : '';
    switch (op.kind) {
      case 'delete':
        if (idx >= 0) entries.splice(idx, 1);
        break;
      case 'replace':
        if (at) at[1] = op.s;
        break;
      case 'pool':
        if (at && pool.length) at[1] = pool[op.n % pool.length]!;
        break;
      case 'append':
        if (at) at[1] = text + op.s;
        break;
      case 'prepend':
        if (at) at[1] = op.s + text;
        break;
      case 'truncate':
        if (at) at[1] = text.slice(0, op.n % (text.length + 1));
        break;
      case 'duplicate':
        if (at) entries.splice(op.n % (entries.length + 1), 0, [at[0], pool.length && op.n % 2 ? pool[op.n % pool.length]! : op.s]);
        break;
      case 'duplicateSame':
        if (at) entries.push([at[0], at[1]]);
        break;
      case 'bracket':
        if (at) at[0] = `${at[0]}${BRACKETS[op.n % BRACKETS.length]}`;
        break;
      case 'extra':
        entries.splice(op.n % (entries.length + 1), 0, [op.n % 3 === 0 ? EXTRA_NAMES[op.n % EXTRA_NAMES.length]! : (names[op.n % Math.max(1, names.length)] ?? op.s), op.s]);
        break;
      case 'raw':
        if (at) at[1] = { raw: `${encodeVal(at[1])}${RAW_JUNK[op.n % RAW_JUNK.length]}` };
        break;
      case 'bytes':
        if (at) at[1] = { bytes: [...Buffer.from(text, 'utf8').subarray(0, 20), 0xff, 0xfe, 0xc0 + (op.n % 64), op.n % 256] };
        break;
      case 'huge':
        if (at) at[1] = text + 'A'.repeat(1_000 + (op.n % 70_000));
        break;
      case 'empty':
        if (at) at[1] = '';
        break;
      case 'case':
        if (at) at[op.n % 2 ? 1 : 0] = op.n % 2 ? text.toUpperCase() : at[0].toUpperCase();
        break;
      case 'rename':
        if (at) at[0] = op.s;
        break;
      case 'inject': {
        if (!at) break;
        const pos = op.n % (text.length + 1);
        at[1] = text.slice(0, pos) + INJECT[op.i % INJECT.length] + text.slice(pos);
        break;
      }
    }
  }
  return entries;
}

// ---- focus: one thing wrong at a time --------------------------------------------------------

/**
 * Which part of a request a case mutates. With everything mutated at once nearly every request
 * dies at the first check; one part at a time keeps the rest valid, so the mutated part is what
 * the deep code sees. `none`: the base request itself (success paths); `all`: chaos.
 */
export type Focus = 'none' | 'params' | 'headers' | 'body' | 'method' | 'all';
export const focus: fc.Arbitrary<Focus> = fc.constantFrom<Focus>('none', 'params', 'params', 'params', 'headers', 'headers', 'body', 'method', 'all');

export const CLEAN_PLAN: HeaderPlan = { contentType: 'keep', authorization: { kind: 'keep', s: '', n: 0 }, extra: [] };

/** The mutations a case applies, given its focus. */
export function focused<M extends string>(c: { focus: Focus; ops: Mutation[]; plan: HeaderPlan; kind: BodyKind; method?: M }, cleanMethod?: M): { ops: Mutation[]; plan: HeaderPlan; kind: BodyKind; method: M } {
  const f = c.focus;
  return {
    ops: f === 'params' || f === 'all' ? c.ops : [],
    plan: f === 'headers' || f === 'all' ? c.plan : CLEAN_PLAN,
    kind: f === 'body' || f === 'all' ? c.kind : 'form',
    method: (f === 'method' || f === 'all' || cleanMethod === undefined ? c.method : cleanMethod) as M,
  };
}

/** Whether a case of this focus mutates its parameters (else they are the fixtures' own). */
export function mutatesParams(f: Focus): boolean {
  return f === 'params' || f === 'all';
}

/**
 * The fields most cases share, in this order: up to `maxOps` parameter mutations, a header plan,
 * a body kind and a seed (spread into `fc.record`).
 */
export function variations(maxOps: number): { ops: fc.Arbitrary<Mutation[]>; plan: fc.Arbitrary<HeaderPlan>; kind: fc.Arbitrary<BodyKind>; seed: fc.Arbitrary<number> } {
  return { ops: mutations(maxOps), plan: headerPlan, kind: bodyKind, seed: fc.nat() };
}
