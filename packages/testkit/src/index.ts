/**
 * Helpers shared by the tests and the demo: finding binaries (and skipping without them), free ports,
 * polling, child processes, and the checks of a source tree's shape.
 */
export { freePort, getJson } from './net.ts';
export {
  type ListeningProcess,
  type ManagedProcess,
  type ProcessOptions,
  startProcess,
  startPrometheusBinary,
  waitForOutput,
} from './process.ts';
export {
  classSizes,
  cycles,
  importGraphs,
  importsBeyond,
  importsOf,
  lineCount,
  longClasses,
  longFiles,
  sourceFiles,
} from './structure.ts';
export { type RequiredTool, requireTool, toolIn } from './tool.ts';
export { FIRST_PAUSE_MS, type WaitOptions, waitUntil } from './wait.ts';
export { which } from './which.ts';
