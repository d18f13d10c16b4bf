/**
 * The id of the `plan-execute` task. Its own module, so code that only triggers the task
 * (trigger-plan-execution.ts, your backend) never imports the task itself.
 */
export const PLAN_EXECUTE_TASK_ID = 'plan-execute';
