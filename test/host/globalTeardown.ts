// Jest globalTeardown of the `host` project: stop every VM this run started (any worker's).
import { ENV_RUN_ID, stopRunSync } from './index';

export default async function globalTeardown(): Promise<void> {
  const runId = process.env[ENV_RUN_ID];
  if (runId) stopRunSync(runId);
}
