/**
 * Rows of the Postgres journal tables. The columns are the SQLite journal's (same names, JSON as
 * text), so the records are built by the same converters (storage/sqlite/sqlite-rows.ts); the one
 * difference is `lease_owner_lock`, an advisory-lock key here and a lock file name there, which no
 * record exposes.
 */
import type { ExecutionRecord } from '../journal.ts';
import { executionFromRow, type ExecutionRow } from '../sqlite/sqlite-rows.ts';

/** `ae_journal_executions` as Postgres returns it (also inside the commit function's jsonb results). */
export interface PostgresExecutionRow extends Omit<ExecutionRow, 'lease_owner_lock'> {
  lease_owner_lock: number | null;
  row_id: number;
  last_seq: number;
}

/** Record view of an execution row. */
export function recordFromRow(row: PostgresExecutionRow): ExecutionRecord {
  // executionFromRow never reads lease_owner_lock, the one column whose type differs.
  return executionFromRow(row as unknown as ExecutionRow);
}
