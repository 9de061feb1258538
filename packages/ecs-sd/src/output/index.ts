/** The outputs Prometheus reads: file_sd files and the target-group list http_sd serves. */
export {
  FileSdError,
  type FileSdFailure,
  type FileSdFailureReason,
  type FileSdFormat,
  type FileSdMemo,
  type FileSdOptions,
  type FileSdResult,
  fileSdPathProblem,
  fileSdPaths,
  intervalFileName,
  removeTemporaries,
  renderFileSd,
  writeFileSd,
} from './file-sd.ts';
export {
  filterTargets,
  MAX_SHARDS,
  type ParsedTargetFilter,
  parseTargetFilter,
  shardOf,
  TARGET_FILTER_PARAMS,
  type TargetFilter,
} from './target-filter.ts';
export {
  MAX_OUTPUT_LENGTH,
  type RenderedGroups,
  type TargetGroup,
  toTargetGroups,
  tryRenderTargetGroups,
} from './target-groups.ts';
export { yamlScalar } from './yaml-scalar.ts';
