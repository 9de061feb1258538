/** Helpers shared by the tests and the demo: finding binaries, free ports, polling, child processes. */
export { freePort, getJson } from './net.ts';
export {
  type ListeningProcess,
  type ManagedProcess,
  type ProcessOptions,
  startProcess,
  startPrometheusBinary,
  waitForOutput,
} from './process.ts';
export { type WaitOptions, waitUntil } from './wait.ts';
export { which } from './which.ts';
