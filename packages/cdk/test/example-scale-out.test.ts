import assert from 'node:assert/strict';
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { toolIn } from '@ecs-sd/testkit';
import { parse } from 'yaml';
import { buildScaleOutExampleApp } from '../examples/scale-out.ts';
import { generatedFiles, resourcesOfType } from './helpers.ts';

const outdir = mkdtempSync(join(tmpdir(), 'ecs-sd-scale-out-example-'));
after(() => rmSync(outdir, { recursive: true, force: true }));

let assemblyDirectory: string | undefined;
let template: Record<string, unknown> | undefined;

test('the scale-out example synthesizes offline with cdk-nag AWS Solutions checks passing', () => {
  // The repository's real monitoring/ folder, as `npm run synth:scale-out` uses.
  const { app } = buildScaleOutExampleApp({ outdir });
  const assembly = app.synth();
  assemblyDirectory = assembly.directory;
  const report = join(outdir, 'validation-report.json');
  if (existsSync(report)) {
    const parsed = JSON.parse(readFileSync(report, 'utf8')) as { pluginReports: { violations: unknown[] }[] };
    assert.deepEqual(
      parsed.pluginReports.flatMap((p) => p.violations),
      [],
    );
  }
  template = assembly.getStackByName('EcsSdScaleOutExample').template as Record<string, unknown>;
  const services = resourcesOfType(template, 'AWS::ECS::Service').map(([, r]) => r['Properties']);
  assert.deepEqual(
    services.map((s) => [s.LaunchType, s.SchedulingStrategy ?? s.DesiredCount]).sort(),
    [
      ['EC2', 'DAEMON'],
      ['EC2', 'DAEMON'],
      ['FARGATE', 1],
      ['FARGATE', 1],
      ['FARGATE', 1],
      ['FARGATE', 3],
    ],
    'two ecs-sd replicas, Grafana, three agents, and the two daemons of the application cluster',
  );
  // One namespace per monitoring/rules file, all on the created workspace.
  const rules = resourcesOfType(template, 'AWS::APS::RuleGroupsNamespace').map(
    ([, r]) => r['Properties'].Name,
  );
  assert.deepEqual(rules.sort(), [
    'alertmanager.rules',
    'container.rules',
    'ecs-sd.rules',
    'host.rules',
    'prometheus.rules',
    'scrape.rules',
  ]);
  // The daemons' scrape ports are open to the agents' security group.
  const scrapePorts = resourcesOfType(template, 'AWS::EC2::SecurityGroupIngress')
    .map(([, r]) => r['Properties'])
    .filter((p) => String(p.Description).includes('scrape from Prometheus'))
    .map((p) => [p.FromPort, p.SourceSecurityGroupId['Fn::GetAtt'][0]]);
  assert.equal(scrapePorts.length, 2);
  for (const [, group] of scrapePorts) assert.match(group, /^ScaleOutScraperSecurityGroup/);
});

test('promtool accepts the agents’ config generated from monitoring/ in agent mode', (t) => {
  const promtool = toolIn(t, 'promtool', 'prometheus');
  if (promtool === undefined) return;
  assert.ok(assemblyDirectory !== undefined, 'the example did not synthesize');
  const [file] = generatedFiles(assemblyDirectory, 'prometheus-agent.yml');
  assert.ok(file);
  // The remote_write URL is a deploy-time value (the workspace endpoint): give it a concrete one.
  const config = parse(readFileSync(file, 'utf8'));
  config.remote_write[0].url =
    'https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/api/v1/remote_write';
  const concrete = join(outdir, 'prometheus-agent.yml');
  writeFileSync(concrete, JSON.stringify(config));
  const result: SpawnSyncReturns<string> = spawnSync(promtool, ['check', 'config', '--agent', concrete], {
    encoding: 'utf8',
  });
  assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
});

test('amtool accepts the alert manager definition of the AMP workspace', (t) => {
  const amtool = toolIn(t, 'amtool', 'prometheus-alertmanager');
  if (amtool === undefined) return;
  assert.ok(template !== undefined, 'the example did not synthesize');
  const [, workspace] = resourcesOfType(template, 'AWS::APS::Workspace')[0] ?? [];
  assert.ok(workspace);
  // Fn::Join of text and the topic's Ref: put a concrete ARN in its place.
  const [, parts] = workspace['Properties'].AlertManagerDefinition['Fn::Join'] as [string, unknown[]];
  const definition = parts
    .map((p) => (typeof p === 'string' ? p : 'arn:aws:sns:eu-west-1:111111111111:alerts'))
    .join('');
  const file = join(outdir, 'alertmanager.yml');
  writeFileSync(file, parse(definition).alertmanager_config);
  const result = spawnSync(amtool, ['check-config', file], { encoding: 'utf8' });
  assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
});

test('`npm run synth:scale-out` (node examples/scale-out.ts) writes ./cdk.out offline', () => {
  const cwd = mkdtempSync(join(outdir, 'cwd-'));
  const env = { ...process.env };
  delete env['CDK_OUTDIR'];
  const script = fileURLToPath(new URL('../examples/scale-out.ts', import.meta.url));
  const result = spawnSync(process.execPath, [script], { cwd, env, encoding: 'utf8', timeout: 120_000 });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^synthesized EcsSdScaleOutExample into cdk\.out$/m);
  assert.ok(existsSync(join(cwd, 'cdk.out', 'EcsSdScaleOutExample.template.json')));
});
