/**
 * How `execute --inspect` finds the viewer: `action-executor ui` writes its URL and session token to
 * `<journal>.viewer.json` (mode 0600, so only the user who started it can read the token) and removes
 * it when it stops. The CLI reads it for the journal it writes to, so `--db` pairs an execution with the
 * viewer showing that journal.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { z } from 'zod';

export const ViewerStateSchema = z.object({
  url: z.url(),
  token: z.string().min(16),
  pid: z.number().int(),
  startedAt: z.string(),
});

export type ViewerState = z.infer<typeof ViewerStateSchema>;

/** The state file of the viewer serving journal `dbPath`. */
export function viewerStateFile(dbPath: string): string {
  return `${dbPath}.viewer.json`;
}

/** Writes the state file atomically, readable by its owner only. */
export function writeViewerState(file: string, state: ViewerState): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(state)}\n`, { mode: 0o600 });
  renameSync(temp, file);
}

/**
 * Reads the state file: the state, or why there is none usable (missing, unreadable, not what a viewer
 * writes) — the CLI prints that reason in its one warning.
 */
export function readViewerState(file: string): { state: ViewerState } | { problem: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { problem: code === 'ENOENT' ? `no viewer is running for this journal (${file} does not exist)` : `cannot read ${file} (${code ?? String(error)})` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { problem: `${file} is not JSON; delete it and restart \`action-executor ui\`` };
  }
  const parsed = ViewerStateSchema.safeParse(json);
  return parsed.success ? { state: parsed.data } : { problem: `${file} is not a viewer state file (${parsed.error.issues.map((i) => `$.${i.path.join('.')}: ${i.message}`).join('; ')})` };
}

/** Removes the state file if it is still ours (another viewer may have started on the journal since). */
export function removeViewerState(file: string, token: string): void {
  const current = readViewerState(file);
  if ('state' in current && current.state.token !== token) return;
  rmSync(file, { force: true });
}
