/**
 * Cursor pagination in the Relay connection shape (edges, node, cursor, pageInfo). Cursors are
 * opaque: base64url of the list's name and the sort key, with a check.
 */
import { createHash } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { ArgsType, Field, Int, ObjectType, type ClassType } from 'type-graphql';
import { PAGE_SIZE, pageSizeMessage } from '../page-size.js';

@ObjectType({ description: 'Where a page of a connection stands (Relay).' })
export class PageInfo {
  @Field(() => Boolean, { description: 'Whether more items follow this page.' })
  hasNextPage!: boolean;

  @Field(() => Boolean, { description: 'Always false: connections page forward only.' })
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Cursor of the first item of this page.' })
  startCursor!: string | null;

  @Field(() => String, { nullable: true, description: 'Cursor of the last item of this page: pass it as `after` for the next page.' })
  endCursor!: string | null;
}

@ArgsType()
export class PageArgs {
  @Field(() => Int, { defaultValue: 20, description: 'How many items (1–100).' })
  first: number = 20;

  @Field(() => String, { nullable: true, description: 'Return items after this cursor.' })
  after?: string | null;

  @Field(() => String, { nullable: true, description: 'Only items whose name or identifier contains this text (case-insensitive). For users and clients, a text of one or two characters matches the start of a field (docs/OPERATIONS.md).' })
  search?: string | null;
}

export interface Edge<T> {
  node: T;
  cursor: string;
}

export interface Connection<T> {
  edges: Edge<T>[];
  pageInfo: PageInfo;
}

/** A Connection type and its Edge type for `Node`. */
export function connectionOf<T extends object>(Node: ClassType<T>, name: string) {
  @ObjectType(`${name}Edge`, { description: `A ${name} with its cursor.` })
  class EdgeType {
    @Field(() => Node, { description: `The ${name}.` })
    node!: T;

    @Field(() => String, { description: 'Opaque cursor of this item.' })
    cursor!: string;
  }

  @ObjectType(`${name}Connection`, { description: `A page of ${name}s.` })
  class ConnectionType {
    @Field(() => [EdgeType], { description: `The ${name}s of this page.` })
    edges!: EdgeType[];

    @Field(() => PageInfo, { description: 'Paging information.' })
    pageInfo!: PageInfo;
  }
  return ConnectionType;
}

/**
 * A cursor names its list and the sort key there: base64url of `<list>:<key>`, then `.` and a
 * check of those bytes (the first 8 characters of their SHA-256, base64url). A string this API did
 * not hand out (a typo, a truncated or extended cursor, a cursor of another list, an id) is
 * refused, never read as a position that silently yields an empty or wrong page. The check is no
 * secret: a cursor is not an authorization, only a position.
 */
export const encodeCursor = (list: string, key: string): string => {
  const text = `${list}:${key}`;
  return `${Buffer.from(text, 'utf8').toString('base64url')}.${cursorCheck(text)}`;
};

const cursorCheck = (text: string) => createHash('sha256').update(text, 'utf8').digest('base64url').slice(0, 8);

export function decodeCursor(list: string, cursor: string | null | undefined, argument = 'after'): string | undefined {
  if (cursor === null || cursor === undefined) return undefined;
  const parts = /^([A-Za-z0-9_-]{1,700})\.([A-Za-z0-9_-]{8})$/.exec(cursor);
  const text = parts ? Buffer.from(parts[1]!, 'base64url').toString('utf8') : '';
  const key = text.startsWith(`${list}:`) ? text.slice(list.length + 1) : undefined;
  // Re-encoding must give the same string: no stray bits, no invalid UTF-8, the check matching.
  if (key === undefined || encodeCursor(list, key) !== cursor) {
    throw new GraphQLError(`${argument}: not a cursor of this list; pass an edge's cursor or pageInfo.endCursor from an earlier page of ${list}`, { extensions: { code: 'BAD_USER_INPUT', field: argument } });
  }
  return key;
}

export function pageSize(first: number, argument = 'first'): number {
  if (!Number.isInteger(first) || first < PAGE_SIZE.min || first > PAGE_SIZE.max) throw new GraphQLError(pageSizeMessage(argument, first), { extensions: { code: 'BAD_USER_INPUT', field: argument } });
  return first;
}

/** Builds a connection from `limit + 1` fetched rows (the extra one says whether a next page exists). */
export function toConnection<R, T>(list: string, rows: R[], limit: number, key: (row: R) => string, map: (row: R) => T): Connection<T> {
  const page = rows.slice(0, limit);
  const edges = page.map((row) => ({ node: map(row), cursor: encodeCursor(list, key(row)) }));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > limit, hasPreviousPage: false, startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null },
  };
}
