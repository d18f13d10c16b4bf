/**
 * The id of the `action-execute` task (the spec's job name). Its own module, so code that only
 * triggers the task (trigger-action-execution.ts, your backend) never imports the task itself.
 */
export const ACTION_EXECUTE_TASK_ID = 'action-execute';
