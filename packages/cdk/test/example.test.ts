import assert from 'node:assert/strict';
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { requireTool } from '@ecs-sd/testkit';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import cdkNag from 'cdk-nag';
import { buildExampleApp } from '../examples/app.ts';
import { generatedFiles } from './helpers.ts';

const outdir = mkdtempSync(join(tmpdir(), 'ecs-sd-example-'));
after(() => rmSync(outdir, { recursive: true, force: true }));

let assemblyDirectory: string | undefined;

/** The Debian tools the generated configs are checked with; without them those tests skip, unless CI is set. */
const promtool = requireTool('promtool', 'prometheus');
const amtool = requireTool('amtool', 'prometheus-alertmanager');

test('the example app synthesizes offline into a cloud assembly with cdk-nag AWS Solutions checks passing', () => {
  // Uses the repository's real monitoring/ folder, as `npm run synth` does.
  const { app } = buildExampleApp({ outdir });
  const assembly = app.synth();
  assemblyDirectory = assembly.directory;
  assert.deepEqual(
    assembly.stacks.map((s) => s.stackName),
    ['EcsSdExample'],
  );
  assert.ok(existsSync(join(outdir, 'manifest.json')));
  assert.ok(existsSync(join(outdir, 'EcsSdExample.template.json')));
  const report = join(outdir, 'validation-report.json');
  if (existsSync(report)) {
    const parsed = JSON.parse(readFileSync(report, 'utf8')) as { pluginReports: { violations: unknown[] }[] };
    assert.deepEqual(
      parsed.pluginReports.flatMap((p) => p.violations),
      [],
    );
  }
  const template = assembly.getStackByName('EcsSdExample').template as {
    Resources: Record<string, { Type: string }>;
  };
  const types = Object.values(template.Resources).map((r) => r.Type);
  assert.equal(types.filter((t) => t === 'AWS::ServiceDiscovery::Service').length, 2, 'an HA pair');
  assert.equal(types.filter((t) => t === 'AWS::EC2::Volume').length, 2);
  assert.equal(types.filter((t) => t === 'AWS::AutoScaling::LaunchConfiguration').length, 0);
  const peerRules = Object.values(template.Resources)
    .filter((r) => r.Type === 'AWS::EC2::SecurityGroupIngress')
    .map(
      (r) =>
        (r as unknown as { Properties: { Description: string; IpProtocol: string; FromPort: number } })
          .Properties,
    )
    .filter((p) => p.Description === 'Alertmanager of the HA peer')
    .map((p) => `${p.IpProtocol}/${p.FromPort}`)
    .sort();
  assert.deepEqual(peerRules, ['tcp/9093', 'tcp/9093', 'tcp/9094', 'tcp/9094', 'udp/9094', 'udp/9094']);
  const forwarded = Object.values(template.Resources).filter(
    (r) =>
      r.Type === 'AWS::EC2::SecurityGroupIngress' &&
      (r as unknown as { Properties: { Description: string } }).Properties.Description ===
        'Session Manager port forwarding',
  );
  assert.equal(forwarded.length, 6, 'UI ports of both servers open to their own instance only');
});

test('promtool accepts the Prometheus config generated from the monitoring content', {
  skip: promtool.skip,
}, () => {
  assert.ok(assemblyDirectory !== undefined, 'the example did not synthesize');
  const files = generatedFiles(assemblyDirectory, 'prometheus.yml');
  assert.equal(files.length, 2, 'one per server');
  for (const file of files) {
    const result: SpawnSyncReturns<string> = spawnSync(
      promtool.path,
      ['check', 'config', '--syntax-only', file],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
  }
});

test('amtool accepts the generated Alertmanager config', { skip: amtool.skip }, () => {
  assert.ok(assemblyDirectory !== undefined, 'the example did not synthesize');
  // Both servers' files are identical until deploy time (the topic ARN is a token), so one asset.
  const files = generatedFiles(assemblyDirectory, 'alertmanager.yml');
  assert.ok(files.length > 0, 'no generated alertmanager.yml in the cloud assembly');
  for (const file of files) {
    const result: SpawnSyncReturns<string> = spawnSync(amtool.path, ['check-config', file], {
      encoding: 'utf8',
    });
    assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
  }
});

test('cdk-nag is really applied: an unacknowledged finding fails synthesis', (t) => {
  const app = new App({ outdir: mkdtempSync(join(outdir, 'nag-')) });
  const stack = new Stack(app, 'Bad');
  new sqs.Queue(stack, 'Queue');
  Validations.of(app).addPlugins(new cdkNag.AwsSolutionsChecks(app));
  // The report synthesis prints is this test's expected result: captured and checked, not printed,
  // so a passing run shows no ERROR line.
  const printed: string[] = [];
  t.mock.method(console, 'error', (...parts: unknown[]) => printed.push(parts.join(' ')));
  assert.throws(() => app.synth(), /Validation failed/);
  const report = printed.join('\n');
  assert.match(report, /Acknowledge with 'AwsSolutions::AwsSolutions-SQS3'/);
  assert.match(report, /Acknowledge with 'AwsSolutions::AwsSolutions-SQS4'/);
});
