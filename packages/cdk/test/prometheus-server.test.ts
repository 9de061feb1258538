import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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
import { PrometheusServer } from '../src/index.ts';
import { IMAGES } from '../src/versions.ts';
import {
  FIXTURE_MONITORING,
  type Json,
  matchSnapshot,
  normalizeTemplate,
  resourcesOfType,
} from './helpers.ts';

// One synth for the whole file: a server with every option on.
const outdir = mkdtempSync(join(tmpdir(), 'ecs-sd-cdk-'));
after(() => rmSync(outdir, { recursive: true, force: true }));
const app = new App({ outdir });
const stack = new Stack(app, 'Test', { env: { account: '111111111111', region: 'eu-west-1' } });
const vpc = new ec2.Vpc(stack, 'Vpc', {
  ipAddresses: ec2.IpAddresses.cidr('10.0.0.0/16'),
  availabilityZones: ['eu-west-1a', 'eu-west-1b'],
  natGateways: 1,
});
const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
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
const subnet = vpc.privateSubnets[0]!;
const crossAccountRole = 'arn:aws:iam::222222222222:role/ecs-sd-discovery';
const workspace = 'arn:aws:aps:eu-west-1:111111111111:workspace/ws-1';
const server = new PrometheusServer(stack, 'PrometheusA', {
  cluster,
  vpc,
  subnet,
  cloudMapNamespace: namespace,
  name: 'prometheus-a',
  monitoringDirectory: FIXTURE_MONITORING,
  eventMode: true,
  sources: [
    { name: 'local', region: 'eu-west-1' },
    { name: 'prod', region: 'eu-west-1', roleArn: crossAccountRole, externalId: 'ecs-sd' },
  ],
  remoteWrite: [{ url: 'https://aps.example/api/v1/remote_write', sigv4Region: 'eu-west-1' }],
  remoteWriteWorkspaceArns: [workspace],
  retention: '30d',
  retentionSize: '40GB',
  allowFrom: [ec2.Peer.ipv4('10.99.0.0/16')],
  alertmanagerPeers: ['prometheus-b'],
  taskRoleName: 'prometheus-a-task',
});
const assembly = app.synth();
const templateJson = assembly.getStackByName('Test').template as Record<string, unknown>;
const template = Template.fromJSON(templateJson);

const taskDefinition = () => {
  const [found] = resourcesOfType(templateJson, 'AWS::ECS::TaskDefinition');
  assert.ok(found);
  return found[1]['Properties'] as { ContainerDefinitions: Json[]; Volumes: Json[]; [key: string]: Json };
};
const container = (name: string) => {
  const found = taskDefinition().ContainerDefinitions.find((c) => c.Name === name);
  assert.ok(found, `no container ${name}`);
  return found;
};
const policyActions = (logicalIdPrefix: string): string[] =>
  resourcesOfType(templateJson, 'AWS::IAM::Policy')
    .filter(([id]) => id.startsWith(logicalIdPrefix))
    .flatMap(([, policy]) => policy['Properties'].PolicyDocument.Statement)
    .flatMap((statement: { Action: string | string[] }) => [statement.Action].flat());
const logicalId = (construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as never);

test('capacity comes from a launch template with IMDSv2 only, never a launch configuration', () => {
  template.resourceCountIs('AWS::AutoScaling::LaunchConfiguration', 0);
  template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
    LaunchTemplateData: Match.objectLike({
      MetadataOptions: Match.objectLike({ HttpTokens: 'required', HttpPutResponseHopLimit: 1 }),
      BlockDeviceMappings: [
        Match.objectLike({ Ebs: Match.objectLike({ Encrypted: true, VolumeType: 'gp3' }) }),
      ],
    }),
  });
  template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
    MinSize: '1',
    MaxSize: '1',
    VPCZoneIdentifier: [{ Ref: logicalId(subnet as ec2.Subnet) }],
    LaunchTemplate: Match.anyValue(),
  });
  template.hasResourceProperties('AWS::ECS::CapacityProvider', {
    AutoScalingGroupProvider: Match.objectLike({
      ManagedDraining: 'ENABLED',
      ManagedTerminationProtection: 'DISABLED',
    }),
  });
});

test('the data volume is encrypted gp3 in the subnet availability zone, tagged, and kept on stack deletion', () => {
  template.hasResource('AWS::EC2::Volume', {
    DeletionPolicy: 'Retain',
    Properties: Match.objectLike({
      Encrypted: true,
      VolumeType: 'gp3',
      Size: 50,
      AvailabilityZone: 'eu-west-1a',
      Tags: Match.arrayWith([{ Key: 'ecs-sd:data-volume', Value: server.dataVolumeTag }]),
    }),
  });
  template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
    Tags: Match.arrayWith([
      { Key: 'ecs-sd:data-volume', Value: server.dataVolumeTag, PropagateAtLaunch: true },
    ]),
  });
});

test('the instance may attach only volumes and instances carrying its tag', () => {
  template.hasResourceProperties('AWS::IAM::Policy', {
    PolicyDocument: {
      Statement: Match.arrayWith([
        {
          Sid: 'AttachDataVolume',
          Effect: 'Allow',
          Action: 'ec2:AttachVolume',
          Resource: [
            { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ec2:eu-west-1:111111111111:volume/*']] },
            {
              'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ec2:eu-west-1:111111111111:instance/*']],
            },
          ],
          Condition: { StringEquals: { 'aws:ResourceTag/ecs-sd:data-volume': server.dataVolumeTag } },
        },
      ]),
    },
    Roles: [{ Ref: logicalId(server.instanceRole) }],
  });
  const userData = JSON.stringify(
    resourcesOfType(templateJson, 'AWS::EC2::LaunchTemplate')[0]?.[1]['Properties'].LaunchTemplateData
      .UserData,
  );
  assert.ok(userData.includes(`Name=tag:ecs-sd:data-volume,Values=${server.dataVolumeTag}'`));
  assert.match(userData, /ECS_AWSVPC_BLOCK_IMDS=true/);
  assert.match(userData, /ECS_CLUSTER=/);
});

test('no role carries an AWS managed FullAccess or ReadOnlyAccess policy, and the instance no managed policy at all by default', () => {
  template.hasResourceProperties('AWS::IAM::Role', {
    Description: 'Prometheus server prometheus-a container instance',
    ManagedPolicyArns: Match.absent(),
  });
  for (const [id, role] of resourcesOfType(templateJson, 'AWS::IAM::Role')) {
    const managed = JSON.stringify(role['Properties'].ManagedPolicyArns ?? []);
    assert.doesNotMatch(managed, /FullAccess|ReadOnlyAccess/, `${id} has ${managed}`);
  }
});

test('the task role has the fixed name a monitored account trusts', () => {
  template.hasResourceProperties('AWS::IAM::Role', {
    RoleName: 'prometheus-a-task',
    AssumeRolePolicyDocument: Match.objectLike({
      Statement: [Match.objectLike({ Principal: { Service: 'ecs-tasks.amazonaws.com' } })],
    }),
  });
});

test('the discovery policy is exactly the actions ecs-sd declares, plus AssumeRole and its event queue', () => {
  const queueId = logicalId(server.eventsQueue!);
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
          Resource: { 'Fn::GetAtt': [queueId, 'Arn'] },
        },
      ],
    },
    Roles: [{ Ref: logicalId(server.taskRole) }],
  });
});

test('the task role can do nothing beyond discovery, config reads, alerts and remote_write', () => {
  const actions = new Set(
    policyActions('PrometheusATaskRole').concat(policyActions('PrometheusADiscoveryPolicy')),
  );
  assert.deepEqual(
    [...actions].sort(),
    [
      ...DISCOVERY_IAM_ACTIONS,
      ...EVENT_MODE_IAM_ACTIONS,
      ...ASSUME_ROLE_IAM_ACTIONS,
      's3:GetObject',
      's3:ListBucket',
      'sns:Publish',
      'aps:RemoteWrite',
    ].sort(),
  );
  template.hasResourceProperties('AWS::IAM::Policy', {
    PolicyDocument: {
      Statement: Match.arrayWith([
        Match.objectLike({ Sid: 'RemoteWrite', Action: 'aps:RemoteWrite', Resource: workspace }),
        Match.objectLike({
          Sid: 'ListConfig',
          Action: 's3:ListBucket',
          Condition: { StringLike: { 's3:prefix': ['monitoring/*'] } },
        }),
      ]),
    },
  });
});

test('event mode: an EventBridge rule sends aws.ecs task and container instance changes to the queue, and only it may send', () => {
  const ruleId = resourcesOfType(templateJson, 'AWS::Events::Rule')[0]?.[0];
  template.hasResourceProperties('AWS::Events::Rule', {
    // The local source reads every cluster: no detail filter.
    EventPattern: {
      source: ['aws.ecs'],
      'detail-type': ['ECS Task State Change', 'ECS Container Instance State Change'],
      detail: Match.absent(),
    },
    Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(server.eventsQueue!), 'Arn'] } })],
  });
  template.hasResourceProperties('AWS::SQS::QueuePolicy', {
    PolicyDocument: {
      Statement: Match.arrayWith([
        Match.objectLike({
          Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
          Principal: { Service: 'events.amazonaws.com' },
          Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } } },
        }),
      ]),
    },
  });
  template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
});

test('the task runs the four programs and an init container, each image pinned by tag', () => {
  const properties = taskDefinition();
  assert.equal(properties['NetworkMode'], 'awsvpc');
  assert.deepEqual(properties['PlacementConstraints'], [
    { Type: 'memberOf', Expression: 'attribute:ecs-sd.data-volume == mounted' },
  ]);
  assert.deepEqual(
    properties.ContainerDefinitions.map((c) => [c.Name, c.Image]),
    [
      ['config-loader', IMAGES.awsCli],
      ['ecs-sd', IMAGES.ecsSd],
      ['prometheus', IMAGES.prometheus],
      ['alertmanager', IMAGES.alertmanager],
      ['grafana', IMAGES.grafana],
    ],
  );
  for (const definition of properties.ContainerDefinitions) {
    assert.match(definition.Image, /:[\w.-]+$/);
    assert.doesNotMatch(definition.Image, /:latest$/);
  }
});

test('volumes: data on the mounted EBS volume, config and file_sd shared inside the task', () => {
  assert.deepEqual(
    taskDefinition()
      .Volumes.map((v) => [v.Name, v.Host?.SourcePath])
      .sort(),
    [
      ['alertmanager-data', '/data/alertmanager'],
      ['ecs-sd-output', undefined],
      ['grafana-data', '/data/grafana'],
      ['monitoring-config', undefined],
      ['prometheus-data', '/data/prometheus'],
    ],
  );
  const mounts = (name: string) =>
    container(name).MountPoints.map(
      (m: Json) => `${m.SourceVolume}:${m.ContainerPath}:${m.ReadOnly ? 'ro' : 'rw'}`,
    );
  assert.deepEqual(mounts('ecs-sd'), [
    'monitoring-config:/etc/monitoring:ro',
    'ecs-sd-output:/etc/prometheus/ecs-sd/:rw',
  ]);
  assert.deepEqual(mounts('prometheus'), [
    'prometheus-data:/prometheus:rw',
    'monitoring-config:/etc/monitoring:ro',
    'ecs-sd-output:/etc/prometheus/ecs-sd/:ro',
  ]);
  assert.deepEqual(mounts('alertmanager'), [
    'alertmanager-data:/alertmanager:rw',
    'monitoring-config:/etc/monitoring:ro',
  ]);
  assert.deepEqual(mounts('grafana'), [
    'grafana-data:/var/lib/grafana:rw',
    'monitoring-config:/etc/monitoring:ro',
  ]);
});

test('ecs-sd serves on loopback only, writes file_sd where Prometheus reads it, and runs as the image nonroot user', () => {
  const ecsSd = container('ecs-sd');
  assert.deepEqual(ecsSd.Command, [
    '--config.file',
    '/etc/monitoring/generated/ecs-sd.yaml',
    '--web.listen-address',
    '127.0.0.1:9888',
    '--output.directory',
    '/etc/prometheus/ecs-sd/',
  ]);
  assert.equal(ecsSd.User, '65532:65532');
  assert.equal(ecsSd.HealthCheck.Command[1], '/nodejs/bin/node', 'the distroless image has no shell');
  assert.equal(ecsSd.PortMappings, undefined, 'ecs-sd publishes no port');
  // `ecs-sd healthcheck` with the container's own flags: it probes what the daemon serves, TLS and basic auth too.
  assert.deepEqual(ecsSd.HealthCheck.Command, [
    'CMD',
    '/nodejs/bin/node',
    '/app/dist/cli.js',
    'healthcheck',
    ...ecsSd.Command,
  ]);
});

test('prometheus gets retention, its config and waits for the config; every long-running container has a health check', () => {
  const prometheus = container('prometheus');
  assert.ok(prometheus.Command.includes('--storage.tsdb.retention.time=30d'));
  assert.ok(prometheus.Command.includes('--storage.tsdb.retention.size=40GB'));
  assert.ok(prometheus.Command.includes('--config.file=/etc/monitoring/generated/prometheus.yml'));
  assert.deepEqual(prometheus.DependsOn, [
    { ContainerName: 'config-loader', Condition: 'SUCCESS' },
    { ContainerName: 'ecs-sd', Condition: 'START' },
  ]);
  const checks: Record<string, RegExp> = {
    prometheus: /127\.0\.0\.1:9090\/-\/healthy/,
    alertmanager: /127\.0\.0\.1:9093\/-\/healthy/,
    grafana: /127\.0\.0\.1:3000\/api\/health/,
  };
  for (const [name, pattern] of Object.entries(checks)) {
    assert.match(container(name).HealthCheck.Command.join(' '), pattern, name);
  }
  assert.equal(container('config-loader').Essential, false);
  assert.match(
    container('config-loader').Command[0],
    /aws s3 sync "s3:\/\/\$CONFIG_BUCKET\/monitoring\/" \/etc\/monitoring\/ --delete/,
  );
});

test('an HA pair: Alertmanager gossips with its peer through Cloud Map', () => {
  const command: string[] = container('alertmanager').Command;
  assert.ok(command.includes('--cluster.listen-address=0.0.0.0:9094'));
  assert.ok(command.includes('--cluster.peer=prometheus-b.monitoring.internal:9094'));
  assert.ok(command.includes('--config.file=/etc/monitoring/generated/alertmanager.yml'));
});

test('grafana takes its admin password from Secrets Manager, not the environment', () => {
  const grafana = container('grafana');
  assert.deepEqual(
    grafana.Secrets.map((s: { Name: string }) => s.Name),
    ['GF_SECURITY_ADMIN_PASSWORD'],
  );
  assert.ok(!grafana.Environment.some((e: { Name: string }) => e.Name === 'GF_SECURITY_ADMIN_PASSWORD'));
});

test('the service runs one task on its own capacity, registered in Cloud Map with an A record', () => {
  template.hasResourceProperties('AWS::ECS::Service', {
    DesiredCount: 1,
    DeploymentConfiguration: Match.objectLike({ MinimumHealthyPercent: 0, MaximumPercent: 100 }),
    CapacityProviderStrategy: [
      {
        CapacityProvider: { Ref: resourcesOfType(templateJson, 'AWS::ECS::CapacityProvider')[0]?.[0] },
        Weight: 1,
      },
    ],
    ServiceRegistries: [Match.objectLike({ RegistryArn: Match.anyValue() })],
    NetworkConfiguration: {
      AwsvpcConfiguration: Match.objectLike({
        SecurityGroups: [{ 'Fn::GetAtt': [logicalId(server.securityGroup), 'GroupId'] }],
      }),
    },
  });
  template.hasResourceProperties('AWS::ServiceDiscovery::Service', {
    Name: 'prometheus-a',
    DnsConfig: Match.objectLike({ DnsRecords: [{ Type: 'A', TTL: 10 }] }),
  });
});

test('the task security group opens only the UI ports, only to allowFrom', () => {
  template.hasResourceProperties('AWS::EC2::SecurityGroup', {
    GroupDescription: Match.stringLikeRegexp('^Prometheus server prometheus-a: '),
    SecurityGroupIngress: [9090, 9093, 3000].map((port) =>
      Match.objectLike({ CidrIp: '10.99.0.0/16', FromPort: port, ToPort: port, IpProtocol: 'tcp' }),
    ),
  });
  template.hasResourceProperties('AWS::EC2::SecurityGroup', {
    GroupDescription: Match.stringLikeRegexp('container instance: no inbound'),
    SecurityGroupIngress: Match.absent(),
  });
});

test('the generated configs tell Prometheus where Alertmanager is and give Alertmanager a working receiver', () => {
  const generated = (name: string) => {
    for (const entry of readdirSync(assembly.directory)) {
      try {
        return readFileSync(join(assembly.directory, entry, 'generated', name), 'utf8');
      } catch {}
    }
    assert.fail(`no generated/${name} in the cloud assembly`);
  };
  const prometheus = parse(generated('prometheus.yml'));
  assert.deepEqual(prometheus.alerting, {
    alert_relabel_configs: [{ action: 'labeldrop', regex: 'prometheus_replica' }],
    alertmanagers: [
      { static_configs: [{ targets: ['127.0.0.1:9093', 'prometheus-b.monitoring.internal:9093'] }] },
    ],
  });
  assert.deepEqual(prometheus.rule_files, ['/etc/monitoring/rules/*.yml', '/etc/monitoring/rules/*.yaml']);
  assert.equal(prometheus.scrape_configs[0].job_name, 'ecs', 'the base config jobs are kept');
  assert.deepEqual(prometheus.global.external_labels, {
    environment: 'test',
    prometheus_replica: 'prometheus-a',
  });
  assert.deepEqual(prometheus.scrape_configs[0].file_sd_configs[0].files, [
    '/etc/prometheus/ecs-sd/*-tasks.json',
  ]);
  assert.deepEqual(prometheus.remote_write, [
    { url: 'https://aps.example/api/v1/remote_write', sigv4: { region: 'eu-west-1' } },
  ]);
  const alertmanager = parse(generated('alertmanager.yml'));
  assert.equal(alertmanager.route.receiver, 'sns');
  assert.equal(alertmanager.receivers[0].sns_configs[0].sigv4.region, 'eu-west-1');
  const ecsSd = parse(generated('ecs-sd.yaml'));
  assert.deepEqual(
    ecsSd.sources.map((s: { name: string; role_arn?: string }) => [s.name, s.role_arn]),
    [
      ['local', undefined],
      ['prod', crossAccountRole],
    ],
  );
});

test('cdk-nag AWS Solutions checks find nothing unacknowledged with every option on', () => {
  const report = new cdkNag.AwsSolutionsChecks(app).validateScope(stack);
  assert.deepEqual(
    report.violations.map(
      (v) => `${v.ruleName} ${v.violatingResources.map((r) => r.resourceLogicalId).join(',')}`,
    ),
    [],
  );
});

test('template snapshot', () => {
  matchSnapshot('prometheus-server', normalizeTemplate(templateJson));
});
