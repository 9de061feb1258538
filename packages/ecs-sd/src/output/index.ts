/** The outputs Prometheus reads: file_sd files and the target-group list http_sd serves. */
export {
  FileSdError,
  type FileSdFormat,
  type FileSdOptions,
  type FileSdResult,
  fileSdPathProblem,
  intervalFileName,
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
export { type TargetGroup, toTargetGroups } from './target-groups.ts';
