import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CLUSTER_ARN, containerInstanceArn, type TaskSpec, taskArn, taskDefinitionArn } from './fixtures.ts';
import { targetsOf } from './helpers.ts';

const spec: TaskSpec = {
  id: 'abc123',
  family: 'orders',
  revision: 12,
  tags: { 'app.kubernetes.io/name': 'orders', owner: 'team-a' },
  containers: [
    {
      name: 'app',
      image: 'registry.example.com/orders:2.3',
      ports: [9100],
      labels: {
        'ecs-sd.scrape': 'true',
        'com.example.team': 'orders',
        'com.example.tier': 'backend',
        internal: 'do-not-expose',
      },
    },
  ],
};

const meta = (labels: Readonly<Record<string, string>>): Record<string, string> =>
  Object.fromEntries(Object.entries(labels).filter(([k]) => k.startsWith('__meta_ecs_')));

describe('__meta_ecs_* labels', () => {
  it('carries every Prometheus ECS field the snapshot has, plus the container-level ones', () => {
    const [t] = targetsOf(spec, {}, { clusterTags: { 'cost-center': '42' }, accountId: '123456789012' });
    assert.deepEqual(meta(t!.labels), {
      __meta_ecs_account_id: '123456789012',
      __meta_ecs_availability_zone: 'eu-west-1b',
      __meta_ecs_cluster: 'prod',
      __meta_ecs_cluster_arn: CLUSTER_ARN,
      __meta_ecs_container_arn: 'arn:aws:ecs:eu-west-1:123456789012:container/prod/abc123/c0-uuid',
      __meta_ecs_container_host_port: '32768',
      __meta_ecs_container_image: 'registry.example.com/orders:2.3',
      __meta_ecs_container_instance_arn: containerInstanceArn('ci-ec2'),
      __meta_ecs_container_name: 'app',
      __meta_ecs_container_port: '9100',
      __meta_ecs_convention: 'ecs-sd-labels',
      __meta_ecs_desired_status: 'RUNNING',
      __meta_ecs_ec2_instance_id: 'i-0123456789abcdef0',
      __meta_ecs_ec2_instance_private_ip: '10.0.1.10',
      __meta_ecs_ec2_instance_public_ip: '54.1.2.3',
      __meta_ecs_ec2_instance_type: 'm5.large',
      __meta_ecs_endpoint: 'default',
      __meta_ecs_health_status: 'HEALTHY',
      __meta_ecs_ip_address: '10.0.1.10',
      __meta_ecs_last_status: 'RUNNING',
      __meta_ecs_launch_type: 'EC2',
      __meta_ecs_network_mode: 'bridge',
      __meta_ecs_public_ip: '54.1.2.3',
      __meta_ecs_region: 'eu-west-1',
      __meta_ecs_service: 'orders',
      __meta_ecs_subnet_id: 'subnet-host',
      __meta_ecs_tag_cluster_cost_center: '42',
      __meta_ecs_tag_ec2_Name: 'node-1',
      __meta_ecs_tag_ec2_aws_autoscaling_groupName: 'asg-1',
      __meta_ecs_tag_task_app_kubernetes_io_name: 'orders',
      __meta_ecs_tag_task_owner: 'team-a',
      __meta_ecs_task_arn: taskArn('abc123'),
      __meta_ecs_task_definition: taskDefinitionArn('orders', 12),
      __meta_ecs_task_definition_family: 'orders',
      __meta_ecs_task_definition_revision: '12',
      __meta_ecs_task_group: 'service:orders',
      __meta_ecs_task_id: 'abc123',
    });
  });

  it('takes the account from the task ARN when the snapshot has none', () => {
    const [t] = targetsOf(spec);
    assert.equal(t!.labels['__meta_ecs_account_id'], '123456789012');
  });

  it('adds service ARN, status and tags only when services were read', () => {
    const [without] = targetsOf(spec);
    assert.equal(without!.labels['__meta_ecs_service'], 'orders', 'service name comes from the task group');
    assert.equal(without!.labels['__meta_ecs_service_arn'], undefined);
    const [withServices] = targetsOf(
      spec,
      {},
      {
        services: [
          {
            serviceName: 'orders',
            serviceArn: 'arn:aws:ecs:eu-west-1:123456789012:service/prod/orders',
            status: 'ACTIVE',
            tags: [{ key: 'tier:level', value: 'gold' }],
          },
        ],
      },
    );
    assert.equal(
      withServices!.labels['__meta_ecs_service_arn'],
      'arn:aws:ecs:eu-west-1:123456789012:service/prod/orders',
    );
    assert.equal(withServices!.labels['__meta_ecs_service_status'], 'ACTIVE');
    assert.equal(withServices!.labels['__meta_ecs_tag_service_tier_level'], 'gold');
  });

  it('has no service label for a standalone task', () => {
    const [t] = targetsOf({ ...spec, group: 'family:orders' });
    assert.equal(t!.labels['__meta_ecs_service'], undefined);
    assert.equal(t!.labels['__meta_ecs_task_group'], 'family:orders');
  });

  it('exposes only the docker labels the allowlist matches, with sanitized names', () => {
    const [none] = targetsOf(spec);
    assert.equal(
      Object.keys(none!.labels).filter((k) => k.startsWith('__meta_ecs_container_label_')).length,
      0,
      'no allowlist, no docker labels',
    );
    const [t] = targetsOf(spec, { dockerLabelAllowlist: /^com\.example\./ });
    assert.deepEqual(
      Object.fromEntries(
        Object.entries(t!.labels).filter(([k]) => k.startsWith('__meta_ecs_container_label_')),
      ),
      {
        __meta_ecs_container_label_com_example_team: 'orders',
        __meta_ecs_container_label_com_example_tier: 'backend',
      },
    );
  });

  it('output.meta_labels minimal keeps where a target runs and what it is, none keeps no meta label, and the rest is unchanged', () => {
    const allowlist = /^com\.example\./;
    const [all] = targetsOf(spec, { dockerLabelAllowlist: allowlist });
    const [minimal] = targetsOf(spec, { dockerLabelAllowlist: allowlist, metaLabels: 'minimal' });
    const [none] = targetsOf(spec, { dockerLabelAllowlist: allowlist, metaLabels: 'none' });
    const rest = (labels: Readonly<Record<string, string>>) =>
      Object.fromEntries(Object.entries(labels).filter(([k]) => !k.startsWith('__meta_ecs_')));
    assert.deepEqual(rest(minimal!.labels), rest(all!.labels));
    assert.deepEqual(rest(none!.labels), rest(all!.labels));
    assert.deepEqual(meta(none!.labels), {});
    assert.deepEqual(Object.keys(meta(minimal!.labels)).sort(), [
      '__meta_ecs_account_id',
      '__meta_ecs_availability_zone',
      '__meta_ecs_cluster',
      '__meta_ecs_container_label_com_example_team',
      '__meta_ecs_container_label_com_example_tier',
      '__meta_ecs_container_name',
      '__meta_ecs_container_port',
      '__meta_ecs_convention',
      '__meta_ecs_endpoint',
      '__meta_ecs_launch_type',
      '__meta_ecs_region',
      '__meta_ecs_service',
      '__meta_ecs_task_definition_family',
      '__meta_ecs_task_definition_revision',
      '__meta_ecs_task_id',
    ]);
    for (const [name, value] of Object.entries(meta(minimal!.labels)))
      assert.equal(value, all!.labels[name], name);
    assert.ok(Object.keys(meta(all!.labels)).length > 25, 'all is the default: every meta label');
    assert.deepEqual(Object.keys(minimal!.labels), Object.keys(minimal!.labels).sort(), 'names still sorted');
  });
});
