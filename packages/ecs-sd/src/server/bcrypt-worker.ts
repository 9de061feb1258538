/**
 * The worker thread behind `createWorkerVerifier`: compares passwords with bcrypt hashes one at a
 * time, off the main thread, so a check (about 70 ms at cost 10) never holds the event loop.
 * Messages in: `{ id, password, hash }`; out: `{ id, ok }` or `{ id, error }`.
 */
import { parentPort } from 'node:worker_threads';
import bcrypt from 'bcryptjs';

/** One comparison asked of the worker. */
export interface CompareRequest {
  id: number;
  password: string;
  hash: string;
}

/** The worker's answer: whether the password matches, or why it could not compare. */
export type CompareResponse = { id: number; ok: boolean } | { id: number; error: string };

parentPort?.on('message', ({ id, password, hash }: CompareRequest) => {
  let response: CompareResponse;
  try {
    response = { id, ok: bcrypt.compareSync(password, hash) };
  } catch (err) {
    response = { id, error: err instanceof Error ? err.message : String(err) };
  }
  parentPort?.postMessage(response);
});
