/**
 * Where a `plan-execute` run's credentials come from: the worker's environment, one variable per
 * credential, `ACTION_EXECUTOR_CREDENTIAL_<NAME>` for `${credentials.NAME}` (docs/trigger-dev.md
 * "Credentials"). On Trigger.dev those are the project's environment variables, stored encrypted by
 * the platform and set per environment (dashboard, `envvars` API or the syncEnvVars build extension).
 *
 * Why not in the payload: the platform stores payloads and shows them in the dashboard, and a plan is
 * retried and resumed from its payload. Why a fixed prefix: the payload names which credentials to
 * load, and a caller must not be able to hand a definition any other variable of the worker (its
 * `ACTION_EXECUTOR_DB` password, the platform's secret key) by naming it.
 */
import { actionError } from '../failure/errors.ts';

/** The prefix of every credential variable. */
export const CREDENTIAL_VARIABLE_PREFIX = 'ACTION_EXECUTOR_CREDENTIAL_';

/** The environment variable holding credential `name`. */
export function credentialVariable(name: string): string {
  return `${CREDENTIAL_VARIABLE_PREFIX}${name}`;
}

/**
 * The credentials named by `names`, read from `env`; without names, every non-empty
 * `ACTION_EXECUTOR_CREDENTIAL_*` variable. A named credential whose variable is unset or empty is
 * refused before anything runs: ActionError `validation_failed`, code `CREDENTIAL_MISSING`, naming the
 * variables (never a value).
 */
export function credentialsFromEnvironment(names: readonly string[] | undefined, env: NodeJS.ProcessEnv): Record<string, string> {
  const credentials: Record<string, string> = {};
  if (names === undefined) {
    for (const [variable, value] of Object.entries(env)) {
      if (!variable.startsWith(CREDENTIAL_VARIABLE_PREFIX) || value === undefined || value === '') continue;
      const name = variable.slice(CREDENTIAL_VARIABLE_PREFIX.length);
      if (name !== '') credentials[name] = value;
    }
    return credentials;
  }
  const missing: string[] = [];
  for (const name of names) {
    const value = env[credentialVariable(name)];
    if (value === undefined || value === '') missing.push(name);
    else credentials[name] = value;
  }
  if (missing.length > 0) {
    const variables = missing.map(credentialVariable);
    throw actionError('validation_failed', `The plan needs the credential${missing.length === 1 ? '' : 's'} ${missing.map((name) => `"${name}"`).join(', ')}, but the worker's environment has no ${variables.join(', ')} (unset or empty); nothing was run.`, {
      code: 'CREDENTIAL_MISSING',
      context: { credentials: missing.join(', '), variables: variables.join(', ') },
      suggestion: `Set ${variables.join(', ')} in the project's environment variables for this environment (Trigger.dev dashboard → Environment Variables), then trigger the plan again.`,
    });
  }
  return credentials;
}
