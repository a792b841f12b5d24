import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  sql,
  type OperationNode,
} from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Database } from './database.ts';
import { addTablesNamed } from './tables-named.ts';

// Builds statements without a database: only their operation trees are looked at.
const db = new Kysely<Database>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (kysely) => new PostgresIntrospector(kysely),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});
const TABLES = new Set(['service', 'organisation', 'service_revision', 'harvest_endpoint']);

function named(node: OperationNode): string[] {
  const into = new Set<string>();
  addTablesNamed(node, TABLES, into);
  return [...into].sort();
}

describe('addTablesNamed', () => {
  it('finds the tables of a built query, joins and subqueries included', () => {
    const query = db
      .selectFrom('service as s')
      .innerJoin('organisation as o', 'o.id', 's.provider_id')
      .where('s.id', 'in', db.selectFrom('service_revision').select('service_id'))
      .select(['s.id', 'o.name']);
    expect(named(query.toOperationNode())).toEqual(['organisation', 'service', 'service_revision']);
  });

  it('finds the tables of raw SQL, in its text and in nested identifiers, whatever their case', () => {
    const raw = sql`select * from Service s join ${sql.table('organisation')} o on o.id = s.provider_id`;
    expect(named(raw.toOperationNode())).toEqual(['organisation', 'service']);
  });

  it('does not take a table for another identifier that merely contains its name', () => {
    const raw = sql`select service_id, organisation_kind from harvest_endpoint`;
    expect(named(raw.toOperationNode())).toEqual(['harvest_endpoint']);
  });

  it('ignores bind parameters: a search word is not a read', () => {
    const raw = sql`select id from harvest_endpoint where provider_id = ${'organisation'} and url = any(${['service']})`;
    expect(named(raw.toOperationNode())).toEqual(['harvest_endpoint']);
    const built = db.selectFrom('service').select('id').where('title', '=', 'organisation');
    expect(named(built.toOperationNode())).toEqual(['service']);
  });

  it('finds the tables written by inserts, updates and deletes', () => {
    expect(named(db.deleteFrom('harvest_endpoint').toOperationNode())).toEqual(['harvest_endpoint']);
    const update = db
      .updateTable('service')
      .set({ title: 'x' })
      .from('organisation')
      .whereRef('organisation.id', '=', 'service.provider_id');
    expect(named(update.toOperationNode())).toEqual(['organisation', 'service']);
  });
});
