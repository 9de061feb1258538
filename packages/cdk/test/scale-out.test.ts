import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import cdkNag from 'cdk-nag';
import { ASSUME_ROLE_IAM_ACTIONS, DISCOVERY_IAM_ACTIONS, EVENT_MODE_IAM_ACTIONS } from 'ecs-sd/iam';
import { parse } from 'yaml';
import { AMP_QUERY_ACTIONS, ScaleOutMonitoring } from '../src/index.ts';
import { IMAGES } from '../src/versions.ts';
import {
  FIXTURE_MONITORING,
  generatedFiles,
  type Json,
  matchSnapshot,
  normalizeTemplate,
  resourcesOfType,
} from './helpers.ts';

// One synth for most of the file: the topology with every option on, AMP created by the construct.
const outdir = mkdtempSync(join(tmpdir(), 'ecs-sd-scale-out-'));
after(() => rmSync(outdir, { recursive: true, force: true }));
const app = new App({ outdir });
const stack = new Stack(app, 'ScaleOut', { env: { account: '111111111111', region: 'eu-west-1' } });
const vpc = new ec2.Vpc(stack, 'Vpc', {
  ipAddresses: ec2.IpAddresses.cidr('10.0.0.0/16'),
  availabilityZones: ['eu-west-1a', 'eu-west-1b'],
  natGateways: 1,
});
const cluster = new ecs.Cluster(stack, 'Cluster', { vpc, clusterName: 'monitoring' });
for (const [scaffold, id] of [
  [vpc, 'AwsSolutions-VPC7'],
  [cluster, 'AwsSolutions-ECS4'],
] as const) {
  Validations.of(scaffold).acknowledge({ id, reason: 'test scaffolding around the construct under test' });
}
const namespace = new servicediscovery.PrivateDnsNamespace(stack, 'Namespace', {
  name: 'monitoring.internal',
  vpc,
});
const crossAccountRole = 'arn:aws:iam::222222222222:role/ecs-sd-discovery';
const scaleOut = new ScaleOutMonitoring(stack, 'Pool', {
  cluster,
  vpc,
  cloudMapNamespace: namespace,
  store: { kind: 'amp' },
  monitoringDirectory: FIXTURE_MONITORING,
  eventMode: true,
  scrapers: 3,
  sources: [
    { name: 'local', region: 'eu-west-1', clusters: ['web'] },
    { name: 'prod', region: 'eu-west-1', roleArn: crossAccountRole, externalId: 'ecs-sd' },
  ],
  externalLabels: { environment: 'test' },
  allowFrom: [ec2.Peer.ipv4('10.99.0.0/16')],
  ecsSdTaskRoleName: 'ecs-sd-task',
});
const assembly = app.synth();
const templateJson = assembly.getStackByName('ScaleOut').template as Record<string, unknown>;
const template = Template.fromJSON(templateJson);

const logicalId = (construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as never);
const taskDefinitionWith = (containerName: string): Json[] =>
  resourcesOfType(templateJson, 'AWS::ECS::TaskDefinition')
    .map(([, r]) => r['Properties'])
    .filter((p) => p.ContainerDefinitions.some((c: { Name: string }) => c.Name === containerName));
const containerOf = (properties: Json, name: string): Json =>
  properties.ContainerDefinitions.find((c: { Name: string }) => c.Name === name);
/**
 * A generated file with its deploy-time values shown as the CloudFormation expressions they come from:
 * BucketDeployment writes `<<marker:…>>` into the file and keeps the expression in SourceMarkers.
 */
function generatedIn(directory: string, json: Record<string, unknown>, name: string): string {
  const [file] = generatedFiles(directory, name);
  assert.ok(file, `no generated/${name} in the cloud assembly`);
  const hash = /asset\.([0-9a-f]{64})/.exec(file)?.[1];
  const [, deployment] = resourcesOfType(json, 'Custom::CDKBucketDeployment')[0] ?? [];
  assert.ok(deployment && hash);
  const index = deployment['Properties'].SourceObjectKeys.indexOf(`${hash}.zip`);
  const markers: Record<string, unknown> = deployment['Properties'].SourceMarkers?.[index] ?? {};
  let text = readFileSync(file, 'utf8');
  for (const [marker, value] of Object.entries(markers)) text = text.replaceAll(marker, expression(value));
  return text;
}

/** `Ref(Id)`, `GetAtt(Id.Attr)`: a CloudFormation expression as plain text that stays valid inside YAML. */
function expression(value: unknown): string {
  const v = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
  if (v.Ref !== undefined) return `Ref(${v.Ref})`;
  if (v['Fn::GetAtt'] !== undefined) return `GetAtt(${v['Fn::GetAtt'].join('.')})`;
  return JSON.stringify(value);
}
const generated = (name: string): string => generatedIn(assembly.directory, templateJson, name);
const clusterId = stack.getLogicalId(cluster.node.defaultChild as ecs.CfnCluster);
const clusterRef = `Ref(${clusterId})`;
const policyActions = (roleLogicalId: string): string[] =>
  resourcesOfType(templateJson, 'AWS::IAM::Policy')
    .filter(([, p]) => p['Properties'].Roles.some((r: Json) => r.Ref === roleLogicalId))
    .flatMap(([, p]) => p['Properties'].PolicyDocument.Statement)
    .flatMap((statement: { Action: string | string[] }) => [statement.Action].flat());

test('ecs-sd runs as one Fargate service of one task per replica, all behind one Cloud Map name', () => {
  const replicas = taskDefinitionWith('ecs-sd');
  assert.equal(replicas.length, 2);
  for (const [i, properties] of replicas.entries()) {
    assert.equal(properties.NetworkMode, 'awsvpc');
    assert.deepEqual(properties.RequiresCompatibilities, ['FARGATE']);
    const ecsSd = containerOf(properties, 'ecs-sd');
    assert.equal(ecsSd.Image, IMAGES.ecsSd);
    assert.deepEqual(ecsSd.Command, [
      '--config.file',
      `/etc/monitoring/generated/ecs-sd-${i}.yaml`,
      '--web.listen-address',
      '0.0.0.0:9888',
    ]);
    assert.equal(ecsSd.User, '65532:65532');
    // `ecs-sd healthcheck` with the container's own flags: it probes what the daemon serves.
    assert.deepEqual(ecsSd.HealthCheck.Command, [
      'CMD',
      '/nodejs/bin/node',
      '/app/dist/cli.js',
      'healthcheck',
      ...ecsSd.Command,
    ]);
    assert.deepEqual(ecsSd.DockerLabels, {
      'ecs-sd.scrape': 'true',
      'ecs-sd.port': '9888',
      'ecs-sd.job': 'ecs-sd',
    });
    assert.deepEqual(ecsSd.DependsOn, [{ ContainerName: 'config-loader', Condition: 'SUCCESS' }]);
  }
  const registry = { 'Fn::GetAtt': [logicalId(scaleOut.ecsSd.cloudMapService), 'Arn'] };
  for (const service of scaleOut.ecsSd.services) {
    template.hasResourceProperties('AWS::ECS::Service', {
      TaskDefinition: { Ref: logicalId(service.taskDefinition) },
      DesiredCount: 1,
      LaunchType: 'FARGATE',
      ServiceRegistries: [{ RegistryArn: registry }],
      DeploymentConfiguration: Match.objectLike({ MinimumHealthyPercent: 100, MaximumPercent: 200 }),
    });
  }
  template.hasResourceProperties('AWS::ServiceDiscovery::Service', {
    Name: 'ecs-sd',
    DnsConfig: Match.objectLike({ DnsRecords: [{ Type: 'A', TTL: 10 }] }),
    HealthCheckCustomConfig: { FailureThreshold: 1 },
  });
});

test("ecs-sd's discovery policy is exactly the actions ecs-sd declares, plus AssumeRole and every replica's queue", () => {
  template.hasResourceProperties('AWS::IAM::Policy', {
    PolicyDocument: {
      Statement: [
        { Sid: 'Discovery', Effect: 'Allow', Action: [...DISCOVERY_IAM_ACTIONS], Resource: '*' },
        {
          Sid: 'CrossAccount',
          Effect: 'Allow',
          Action: ASSUME_ROLE_IAM_ACTIONS[0],
          Resource: crossAccountRole,
        },
        {
          Sid: 'EventMode',
          Effect: 'Allow',
          Action: [...EVENT_MODE_IAM_ACTIONS],
          Resource: scaleOut.eventsQueues.map((queue) => ({ 'Fn::GetAtt': [logicalId(queue), 'Arn'] })),
        },
      ],
    },
    Roles: [{ Ref: logicalId(scaleOut.ecsSd.taskRole) }],
  });
  template.hasResourceProperties('AWS::IAM::Role', { RoleName: 'ecs-sd-task' });
});

test('each role can do only its part: ecs-sd discovers, the scrapers write to AMP, Grafana queries it', () => {
  const config = ['s3:GetObject', 's3:ListBucket'];
  assert.deepEqual(
    [...new Set(policyActions(logicalId(scaleOut.ecsSd.taskRole)))].sort(),
    [...DISCOVERY_IAM_ACTIONS, ...EVENT_MODE_IAM_ACTIONS, ...ASSUME_ROLE_IAM_ACTIONS, ...config].sort(),
  );
  assert.deepEqual(
    policyActions(logicalId(scaleOut.scraperTaskRole)).sort(),
    [...config, 'aps:RemoteWrite'].sort(),
  );
  assert.deepEqual(
    policyActions(logicalId(scaleOut.grafana!.taskRole)).sort(),
    [...config, ...AMP_QUERY_ACTIONS].sort(),
  );
  const workspaceArn = { 'Fn::GetAtt': [stack.getLogicalId(scaleOut.amp!.cfnWorkspace!), 'Arn'] };
  template.hasResourceProperties('AWS::IAM::Policy', {
    PolicyDocument: {
      Statement: Match.arrayWith([
        { Sid: 'RemoteWrite', Effect: 'Allow', Action: 'aps:RemoteWrite', Resource: workspaceArn },
      ]),
    },
    Roles: [{ Ref: logicalId(scaleOut.scraperTaskRole) }],
  });
});

test('each replica reads its own queue, fed by a rule that covers the scrapers’ cluster too', () => {
  const queues = scaleOut.eventsQueues.map((queue) => logicalId(queue));
  assert.equal(queues.length, 2);
  const rules = resourcesOfType(templateJson, 'AWS::Events::Rule').map(([, r]) => r['Properties']);
  assert.deepEqual(
    rules.map((r) => r.Targets[0].Arn['Fn::GetAtt'][0]).sort(),
    [...queues].sort(),
    'one rule per queue',
  );
  for (const rule of rules) {
    assert.deepEqual(rule.EventPattern.source, ['aws.ecs']);
    const arns = JSON.stringify(rule.EventPattern.detail.clusterArn);
    assert.match(arns, /:cluster\/web"/);
    assert.ok(
      arns.includes(`:cluster/",{"Ref":"${clusterId}"}`),
      "the scrapers' starts and stops change the pool at once",
    );
  }
  for (const [i, queue] of queues.entries()) {
    const config = parse(generated(`ecs-sd-${i}.yaml`));
    assert.deepEqual(
      config.sources[0].events,
      { queue_url: `Ref(${queue})` },
      `replica ${i} reads queue ${i}`,
    );
  }
});

test('ecs-sd knows the pool: the scrapers’ task family in their cluster, and how many replicas share the budget', () => {
  const config = parse(generated('ecs-sd-0.yaml'));
  assert.deepEqual(config.ha, { replicas: 2 });
  assert.deepEqual(config.pools, [
    {
      name: 'agents',
      members: { ecs: { source: 'local', cluster: clusterRef, family: scaleOut.scraperFamily } },
      replication: 1,
    },
  ]);
  assert.deepEqual(
    config.sources[0].clusters,
    ['web', clusterRef],
    'the members’ source reads their cluster',
  );
  assert.equal(config.sources[1].role_arn, crossAccountRole);
  assert.equal(config.sources[1].events, undefined, 'events only come from this account');
  const scrapers = taskDefinitionWith('prometheus');
  assert.equal(scrapers.length, 1);
  assert.equal(scrapers[0].Family, scaleOut.scraperFamily);
});

test('the scrapers: N Fargate tasks of Prometheus in agent mode, each with its own IP, reading their share', () => {
  const [properties] = taskDefinitionWith('prometheus');
  assert.equal(properties.NetworkMode, 'awsvpc', 'ecs-sd tells the scrapers apart by their task IP');
  const agent = containerOf(properties, 'prometheus');
  assert.equal(agent.Image, IMAGES.prometheus);
  assert.deepEqual(agent.Command, [
    '--agent',
    '--config.file=/etc/monitoring/generated/prometheus-agent.yml',
    '--storage.agent.path=/prometheus',
    '--web.listen-address=0.0.0.0:9090',
  ]);
  assert.deepEqual(agent.DockerLabels, {
    'ecs-sd.scrape': 'true',
    'ecs-sd.port': '9090',
    'ecs-sd.job': 'prometheus-agent',
  });
  assert.match(containerOf(properties, 'config-loader').Command[0], /chown 65534:65534 \/prometheus$/);
  template.hasResourceProperties('AWS::ECS::Service', {
    TaskDefinition: { Ref: logicalId(scaleOut.scraperService.taskDefinition) },
    DesiredCount: 3,
    LaunchType: 'FARGATE',
    NetworkConfiguration: {
      AwsvpcConfiguration: Match.objectLike({
        AssignPublicIp: 'DISABLED',
        SecurityGroups: [{ 'Fn::GetAtt': [logicalId(scaleOut.scraperSecurityGroup), 'GroupId'] }],
      }),
    },
  });
  const config = parse(generated('prometheus-agent.yml'));
  const urls = new Set(
    config.scrape_configs.flatMap((job: Json) => job.http_sd_configs.map((sd: Json) => sd.url)),
  );
  assert.deepEqual([...urls], ['http://ecs-sd.monitoring.internal:9888/http-sd?pool=agents']);
  assert.equal(scaleOut.httpSdUrl, 'http://ecs-sd.monitoring.internal:9888/http-sd?pool=agents');
  assert.equal(config.rule_files, undefined);
  assert.deepEqual(config.global.external_labels, { prometheus: 'ecs', environment: 'test' });
  assert.equal(config.remote_write.length, 1);
  const workspaceId = stack.getLogicalId(scaleOut.amp!.cfnWorkspace!);
  assert.equal(config.remote_write[0].url, `GetAtt(${workspaceId}.PrometheusEndpoint)api/v1/remote_write`);
  assert.deepEqual(config.remote_write[0].sigv4, { region: 'eu-west-1' });
});

test('security groups: ecs-sd answers only the scrapers, the scrapers only each other, Grafana only allowFrom', () => {
  const ingress = resourcesOfType(templateJson, 'AWS::EC2::SecurityGroupIngress').map(
    ([, r]) => r['Properties'],
  );
  const scrapers = { 'Fn::GetAtt': [logicalId(scaleOut.scraperSecurityGroup), 'GroupId'] };
  const ecsSd = { 'Fn::GetAtt': [logicalId(scaleOut.ecsSdSecurityGroup), 'GroupId'] };
  assert.deepEqual(
    ingress.map((r) => [r.GroupId, r.SourceSecurityGroupId, r.IpProtocol, r.FromPort, r.ToPort]),
    [
      [scrapers, scrapers, 'tcp', 9090, 9090],
      [ecsSd, scrapers, 'tcp', 9888, 9888],
    ],
  );
  for (const group of [scaleOut.scraperSecurityGroup, scaleOut.ecsSdSecurityGroup]) {
    const properties = resourcesOfType(templateJson, 'AWS::EC2::SecurityGroup').find(
      ([id]) => id === logicalId(group),
    )?.[1]['Properties'];
    assert.equal(properties.SecurityGroupIngress, undefined, 'no inline ingress');
  }
  template.hasResourceProperties('AWS::EC2::SecurityGroup', {
    GroupDescription: Match.stringLikeRegexp('^Grafana'),
    SecurityGroupIngress: [
      Match.objectLike({ CidrIp: '10.99.0.0/16', FromPort: 3000, ToPort: 3000, IpProtocol: 'tcp' }),
    ],
  });
});

test('AMP evaluates the monitoring rules: one rule groups namespace per file, alerts to SNS through its alert manager', () => {
  const workspaceArn = { 'Fn::GetAtt': [stack.getLogicalId(scaleOut.amp!.cfnWorkspace!), 'Arn'] };
  template.resourceCountIs('AWS::APS::RuleGroupsNamespace', 1);
  template.hasResourceProperties('AWS::APS::RuleGroupsNamespace', {
    Name: 'fixture.rules',
    Workspace: workspaceArn,
    Data: readFileSync(join(FIXTURE_MONITORING, 'rules', 'fixture.rules.yml'), 'utf8'),
  });
  const definition = JSON.stringify(
    resourcesOfType(templateJson, 'AWS::APS::Workspace')[0]?.[1]['Properties'].AlertManagerDefinition,
  );
  assert.match(
    definition,
    /^\{"Fn::Join":\["",\["alertmanager_config: \|\\n {2}route:\\n {4}receiver: webhook/,
  );
  assert.match(definition, /sns_configs:\\n {8}- topic_arn: ",\{"Ref":"[^"]+AlertTopic[^"]+"\}/);
  assert.doesNotMatch(definition, /webhook_configs/);
  template.hasResourceProperties('AWS::SNS::TopicPolicy', {
    PolicyDocument: {
      Statement: Match.arrayWith([
        Match.objectLike({
          Sid: 'AmpAlertManager',
          Principal: { Service: 'aps.amazonaws.com' },
          Action: ['sns:Publish', 'sns:GetTopicAttributes'],
          Condition: {
            ArnEquals: { 'aws:SourceArn': workspaceArn },
            StringEquals: { 'aws:SourceAccount': '111111111111' },
          },
        }),
      ]),
    },
  });
  template.hasResourceProperties('AWS::KMS::Key', {
    EnableKeyRotation: true,
    KeyPolicy: {
      Statement: Match.arrayWith([
        Match.objectLike({
          Principal: { Service: 'aps.amazonaws.com' },
          Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        }),
      ]),
    },
  });
});

test('Grafana queries the store with SigV4, its password from Secrets Manager, registered in Cloud Map', () => {
  const [properties] = taskDefinitionWith('grafana');
  const grafana = containerOf(properties, 'grafana');
  const env = Object.fromEntries(
    grafana.Environment.map((e: { Name: string; Value: string }) => [e.Name, e.Value]),
  );
  assert.equal(env['GF_AUTH_SIGV4_AUTH_ENABLED'], 'true');
  assert.equal(env['GF_PATHS_PROVISIONING'], '/etc/monitoring/generated/grafana/provisioning');
  assert.deepEqual(
    grafana.Secrets.map((s: { Name: string }) => s.Name),
    ['GF_SECURITY_ADMIN_PASSWORD'],
  );
  const datasource = parse(generated('grafana/provisioning/datasources/store.yml')).datasources[0];
  const workspaceId = stack.getLogicalId(scaleOut.amp!.cfnWorkspace!);
  assert.equal(datasource.url, `GetAtt(${workspaceId}.PrometheusEndpoint)`);
  assert.equal(datasource.uid, 'prometheus', 'the dashboards’ default data source');
  assert.deepEqual(datasource.jsonData, {
    httpMethod: 'POST',
    sigV4Auth: true,
    sigV4AuthType: 'default',
    sigV4Region: 'eu-west-1',
  });
  template.hasResourceProperties('AWS::ServiceDiscovery::Service', { Name: 'grafana' });
});

test('cdk-nag AWS Solutions checks find nothing unacknowledged in the scale-out topology', () => {
  const report = new cdkNag.AwsSolutionsChecks(app).validateScope(stack);
  assert.deepEqual(
    report.violations.map(
      (v) => `${v.ruleName} ${v.violatingResources.map((r) => r.resourceLogicalId).join(',')}`,
    ),
    [],
  );
});

test('scale-out template snapshot', () => {
  matchSnapshot('scale-out', normalizeTemplate(templateJson));
});

/** A second, small synth: the construct with other props. */
function synth(props: Partial<ConstructorParameters<typeof ScaleOutMonitoring>[2]>) {
  const other = new App({ outdir: mkdtempSync(join(outdir, 'other-')) });
  const s = new Stack(other, 'Other', { env: { account: '111111111111', region: 'eu-west-1' } });
  const v = new ec2.Vpc(s, 'Vpc', {
    ipAddresses: ec2.IpAddresses.cidr('10.0.0.0/16'),
    natGateways: 1,
    maxAzs: 2,
  });
  const construct = new ScaleOutMonitoring(s, 'Pool', {
    cluster: new ecs.Cluster(s, 'Cluster', { vpc: v }),
    vpc: v,
    cloudMapNamespace: new servicediscovery.PrivateDnsNamespace(s, 'Namespace', {
      name: 'monitoring.internal',
      vpc: v,
    }),
    store: { kind: 'amp' },
    monitoringDirectory: FIXTURE_MONITORING,
    ...props,
  });
  const result = other.synth();
  return {
    construct,
    directory: result.directory,
    json: result.getStackByName('Other').template as Record<string, unknown>,
  };
}

test('a remote-write store (VictoriaMetrics, Mimir): no AMP, the URL and headers in remote_write and in Grafana', () => {
  const { json, directory } = synth({
    store: {
      kind: 'remote-write',
      remoteWriteUrl: 'http://mimir.monitoring.internal:9009/api/v1/push',
      queryUrl: 'http://mimir.monitoring.internal:9009/prometheus',
      headers: { 'X-Scope-OrgID': 'ecs' },
    },
  });
  const types = Object.values(json['Resources'] as Record<string, { Type: string }>).map((r) => r.Type);
  assert.ok(!types.some((t) => t.startsWith('AWS::APS::')));
  assert.ok(!types.includes('AWS::SNS::Topic'));
  const [agentFile] = generatedFiles(directory, 'prometheus-agent.yml');
  assert.deepEqual(parse(readFileSync(agentFile!, 'utf8')).remote_write, [
    { url: 'http://mimir.monitoring.internal:9009/api/v1/push', headers: { 'X-Scope-OrgID': 'ecs' } },
  ]);
  const [datasourceFile] = generatedFiles(directory, 'grafana/provisioning/datasources/store.yml');
  assert.deepEqual(parse(readFileSync(datasourceFile!, 'utf8')).datasources[0], {
    name: 'Prometheus',
    uid: 'prometheus',
    type: 'prometheus',
    access: 'proxy',
    isDefault: true,
    url: 'http://mimir.monitoring.internal:9009/prometheus',
    jsonData: { httpMethod: 'POST', httpHeaderName1: 'X-Scope-OrgID' },
    secureJsonData: { httpHeaderValue1: 'ecs' },
  });
  const ecsSdPolicies = JSON.stringify(resourcesOfType(json, 'AWS::IAM::Policy'));
  assert.doesNotMatch(ecsSdPolicies, /aps:/, 'no AMP permission anywhere');
});

test('a remote-write store without a query URL gets no Grafana; polling mode gets no queue', () => {
  const { json } = synth({ store: { kind: 'remote-write', remoteWriteUrl: 'http://vm:8428/api/v1/write' } });
  const types = Object.values(json['Resources'] as Record<string, { Type: string }>).map((r) => r.Type);
  assert.equal(
    types.filter((t) => t === 'AWS::ECS::Service').length,
    3,
    'two ecs-sd replicas and the scrapers',
  );
  assert.ok(!types.includes('AWS::SQS::Queue'));
  assert.ok(!types.includes('AWS::SecretsManager::Secret'));
});

test('an existing AMP workspace gets the rule groups, and no workspace or topic is created', () => {
  const workspaceArn = 'arn:aws:aps:eu-west-1:111111111111:workspace/ws-existing';
  const { json, construct } = synth({
    store: {
      kind: 'amp',
      workspace: {
        workspaceArn,
        prometheusEndpoint: 'https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-existing/',
      },
    },
  });
  const existing = Template.fromJSON(json);
  existing.resourceCountIs('AWS::APS::Workspace', 0);
  existing.resourceCountIs('AWS::SNS::Topic', 0);
  existing.hasResourceProperties('AWS::APS::RuleGroupsNamespace', { Workspace: workspaceArn });
  existing.hasResourceProperties('AWS::IAM::Policy', {
    PolicyDocument: {
      Statement: Match.arrayWith([Match.objectLike({ Action: 'aps:RemoteWrite', Resource: workspaceArn })]),
    },
  });
  assert.equal(construct.amp?.alertManagerDefinition, undefined);
});

test('bad props fail the synth with every problem at once', () => {
  assert.throws(
    () =>
      synth({
        ecsSdReplicas: 0,
        scrapers: 2,
        replication: 3,
        poolName: 'my pool',
        sources: [{ name: 'prod', region: 'eu-west-1', roleArn: crossAccountRole }],
        store: { kind: 'remote-write', remoteWriteUrl: 'vm:8428/api/v1/write' },
      }),
    (err: Error) => {
      assert.deepEqual(err.message.split('\n'), [
        'invalid ScaleOutMonitoring props:',
        'ecsSdReplicas: 0 is not allowed, expected an integer from 1 to 5 (each replica is an ECS service with its own queue)',
        'replication: 3 is not allowed, expected an integer from 1 to 2 (scrapers per target, at most the scrapers)',
        'poolName: "my pool" is not allowed, expected [a-zA-Z0-9_-]+',
        "sources: none is read with the task role in eu-west-1, expected one: the scrapers, the pool's members, run in this account and Region",
        'store.remoteWriteUrl: "vm:8428/api/v1/write" is not an http(s) URL',
      ]);
      return true;
    },
  );
});
