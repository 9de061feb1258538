import assert from 'node:assert/strict';
import { test } from 'node:test';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { CadvisorDaemon, NodeExporterDaemon } from '../src/index.ts';
import { resourcesOfType } from './helpers.ts';

// One synth for the whole file: both daemons on one cluster, scraped from one Prometheus security group.
const app = new App();
const stack = new Stack(app, 'Daemons', { env: { account: '111111111111', region: 'eu-west-1' } });
const vpc = new ec2.Vpc(stack, 'Vpc', {
  ipAddresses: ec2.IpAddresses.cidr('10.0.0.0/16'),
  natGateways: 0,
  maxAzs: 1,
});
const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
const prometheusGroup = new ec2.SecurityGroup(stack, 'PrometheusGroup', { vpc, description: 'prometheus' });
const hostGroup = new ec2.SecurityGroup(stack, 'HostGroup', { vpc, description: 'hosts' });
const access = { prometheusSecurityGroups: [prometheusGroup], hostSecurityGroups: [hostGroup] };
new NodeExporterDaemon(stack, 'NodeExporter', { cluster, ...access });
new CadvisorDaemon(stack, 'Cadvisor', { cluster, ...access });
const templateJson = app.synth().getStackByName('Daemons').template as Record<string, unknown>;
const template = Template.fromJSON(templateJson);

const taskDefinitionOf = (containerName: string) => {
  const found = resourcesOfType(templateJson, 'AWS::ECS::TaskDefinition').find(([, r]) =>
    r['Properties'].ContainerDefinitions.some((c: { Name: string }) => c.Name === containerName),
  );
  assert.ok(found, `no task definition with ${containerName}`);
  const properties = found[1]['Properties'];
  return { properties, container: properties.ContainerDefinitions[0] };
};
const env = (container: { Environment: { Name: string; Value: string }[] }) =>
  Object.fromEntries(container.Environment.map((e) => [e.Name, e.Value]));

test('both daemons are DAEMON services on the cluster', () => {
  const services = resourcesOfType(templateJson, 'AWS::ECS::Service');
  assert.equal(services.length, 2);
  for (const [, service] of services) {
    assert.equal(service['Properties'].SchedulingStrategy, 'DAEMON');
    assert.equal(service['Properties'].LaunchType, 'EC2');
  }
});

test('node-exporter: host network, host PID, root filesystem read-only and --path.rootfs', () => {
  const { properties, container } = taskDefinitionOf('node-exporter');
  assert.equal(properties.NetworkMode, 'host');
  assert.equal(properties.PidMode, 'host');
  assert.deepEqual(properties.Volumes, [{ Name: 'host-root', Host: { SourcePath: '/' } }]);
  assert.deepEqual(container.MountPoints, [
    { SourceVolume: 'host-root', ContainerPath: '/host', ReadOnly: true },
  ]);
  assert.ok(container.Command.includes('--path.rootfs=/host'));
  assert.ok(container.Command.includes('--web.listen-address=:9100'));
  assert.deepEqual(container.PortMappings, [{ ContainerPort: 9100, HostPort: 9100, Protocol: 'tcp' }]);
  assert.match(container.HealthCheck.Command.join(' '), /127\.0\.0\.1:9100\/metrics/);
});

test('cAdvisor: privileged with /dev/kmsg and the read-only mounts of its documentation', () => {
  const { properties, container } = taskDefinitionOf('cadvisor');
  assert.equal(properties.NetworkMode, 'host');
  assert.equal(container.Privileged, true);
  assert.deepEqual(container.LinuxParameters.Devices, [
    { HostPath: '/dev/kmsg', ContainerPath: '/dev/kmsg' },
  ]);
  const hostPaths = Object.fromEntries(
    properties.Volumes.map((v: { Name: string; Host: { SourcePath: string } }) => [
      v.Name,
      v.Host.SourcePath,
    ]),
  );
  assert.deepEqual(
    container.MountPoints.map((m: { SourceVolume: string; ContainerPath: string; ReadOnly: boolean }) => [
      hostPaths[m.SourceVolume],
      m.ContainerPath,
      m.ReadOnly,
    ]),
    [
      ['/', '/rootfs', true],
      ['/var/run', '/var/run', true],
      ['/sys', '/sys', true],
      ['/var/lib/docker/', '/var/lib/docker', true],
      ['/dev/disk/', '/dev/disk', true],
    ],
  );
  assert.ok(container.Command.includes('--port=8080'));
  assert.match(container.HealthCheck.Command.join(' '), /127\.0\.0\.1:8080\/healthz/);
});

test('both carry the env ecs-sd discovers: PROMETHEUS=true and their PROMETHEUS_PORT', () => {
  assert.deepEqual(env(taskDefinitionOf('node-exporter').container), {
    PROMETHEUS: 'true',
    PROMETHEUS_PORT: '9100',
  });
  assert.deepEqual(env(taskDefinitionOf('cadvisor').container), {
    PROMETHEUS: 'true',
    PROMETHEUS_PORT: '8080',
  });
});

test('the host security group opens only the two scrape ports, only to the Prometheus security group', () => {
  const ingress = resourcesOfType(templateJson, 'AWS::EC2::SecurityGroupIngress').map(
    ([, r]) => r['Properties'],
  );
  const prometheusId = {
    'Fn::GetAtt': [stack.getLogicalId(prometheusGroup.node.defaultChild as never), 'GroupId'],
  };
  const hostId = { 'Fn::GetAtt': [stack.getLogicalId(hostGroup.node.defaultChild as never), 'GroupId'] };
  assert.deepEqual(
    ingress.map((rule) => [
      rule.GroupId,
      rule.SourceSecurityGroupId,
      rule.IpProtocol,
      rule.FromPort,
      rule.ToPort,
    ]),
    [
      [hostId, prometheusId, 'tcp', 9100, 9100],
      [hostId, prometheusId, 'tcp', 8080, 8080],
    ],
  );
  template.hasResourceProperties('AWS::EC2::SecurityGroup', {
    GroupDescription: 'hosts',
    SecurityGroupIngress: Match.absent(),
  });
  for (const rule of ingress) assert.equal(rule.CidrIp, undefined);
});
