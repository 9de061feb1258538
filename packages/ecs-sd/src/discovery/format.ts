/** Human text of a TaskDecision for `ecs-sd explain` and the "why" view. Pure. */
import type { Target, TaskDecision } from './types.ts';

function labelList(labels: Readonly<Record<string, string>>, keep: (name: string) => boolean): string {
  const names = Object.keys(labels).filter(keep).sort();
  return names.map((n) => `${n}=${JSON.stringify(labels[n])}`).join(', ');
}

function targetLines(t: Target): string[] {
  const lines = [
    `    target ${t.address} (${t.convention}, job ${JSON.stringify(t.job)}, interval bucket ${t.interval})`,
  ];
  const visible = labelList(t.labels, (n) => !n.startsWith('__'));
  const scrape = labelList(t.labels, (n) => n.startsWith('__') && !n.startsWith('__meta_'));
  const meta = labelList(t.labels, (n) => n.startsWith('__meta_'));
  lines.push(`      labels: ${visible === '' ? '(none)' : visible}`);
  if (scrape !== '') lines.push(`      scrape: ${scrape}`);
  if (meta !== '') lines.push(`      meta:   ${meta}`);
  return lines;
}

/** The decision as text: per container, its targets (address, visible labels, then __meta_ labels) or exactly why none, and labels left out at the limits. */
export function formatDecision(decision: TaskDecision): string {
  const lines: string[] = [];
  lines.push(
    `task ${decision.taskId === '' ? '(no id)' : decision.taskId} ${decision.taskArn === '' ? '(no taskArn)' : decision.taskArn}`,
  );
  const facts = [
    `cluster ${decision.clusterName}`,
    `source ${decision.source}`,
    `lastStatus ${decision.lastStatus || '(none)'}`,
  ];
  if (decision.launchType) facts.push(`launchType ${decision.launchType}`);
  if (decision.networkMode) facts.push(`networkMode ${decision.networkMode}`);
  lines.push(`  ${facts.join(', ')}`);
  if (decision.taskDefinitionArn) lines.push(`  taskDefinitionArn ${decision.taskDefinitionArn}`);
  const targets = decision.containers.reduce((n, c) => n + c.targets.length, 0);
  if (decision.skip) {
    lines.push(`  not a target (${decision.skip.reason}): ${decision.skip.message}`);
  } else {
    lines.push(`  ${targets} target${targets === 1 ? '' : 's'}`);
  }
  for (const c of decision.containers) {
    const n = c.targets.length;
    lines.push(
      `  container ${JSON.stringify(c.containerName)}: ${n === 0 ? 'not a target' : `${n} target${n === 1 ? '' : 's'}`}`,
    );
    for (const t of c.targets) lines.push(...targetLines(t));
    for (const s of c.skips) lines.push(`    skipped (${s.reason}): ${s.message}`);
    for (const b of c.bounded ?? []) lines.push(`    bounded (${b.reason}): ${b.message}`);
    for (const note of c.notes ?? []) lines.push(`    note: ${note}`);
    if (n === 0 && c.skips.length === 0 && (c.notes ?? []).length === 0 && !decision.skip) {
      lines.push('    not opted in by any enabled convention');
    }
  }
  if (decision.incomplete) {
    lines.push(
      '  incomplete: looked at again next refresh, it may become a target without the task changing',
    );
  }
  return lines.join('\n');
}
