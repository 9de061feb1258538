// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests compare HCL expressions, whose ${...} is Terraform's, verbatim
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { ASSUME_ROLE_IAM_ACTIONS, DISCOVERY_IAM_ACTIONS, EVENT_MODE_IAM_ACTIONS } from 'ecs-sd/iam';
import {
  ALL_DIRS,
  blocks,
  dataSource,
  listFiles,
  MODULE_DIRS,
  type ParsedModule,
  parseFile,
  parseModule,
  ROOT_DIRS,
  resolveLocals,
  resource,
  strings,
  TERRAFORM_DIR,
} from './support/hcl.ts';

const modules = new Map<string, ParsedModule>();

before(async () => {
  for (const dir of ALL_DIRS) modules.set(dir, await parseModule(dir));
});

function mod(dir: string): ParsedModule {
  const parsed = modules.get(dir);
  assert.ok(parsed, `module ${dir} was not parsed`);
  return parsed;
}

type Container = Record<string, unknown> & { name: string };

/** A container definition kept as a plain HCL object in locals, with literal locals resolved. */
function container(module: ParsedModule, local: string): Container {
  const value = resolveLocals(module.locals[local], module.locals);
  assert.ok(typeof value === 'object' && value !== null, `local.${local} must be a plain object`);
  return value as Container;
}

function env(c: Container): Record<string, unknown> {
  const list = c['environment'];
  assert.ok(Array.isArray(list), `container ${c.name} has no environment list`);
  return Object.fromEntries(list.map((e: { name: string; value: unknown }) => [e.name, e.value]));
}

function mountPoints(c: Container): { sourceVolume: string; containerPath: string; readOnly: boolean }[] {
  const list = c['mountPoints'];
  assert.ok(Array.isArray(list), `container ${c.name} has no mountPoints list`);
  return list;
}

/** The actions of every statement of an aws_iam_policy_document, in order. */
function actions(document: Record<string, unknown>): string[] {
  return blocks(document, 'statement').flatMap((s) => s['actions'] as string[]);
}

describe('every Terraform file', () => {
  it('parses as HCL (modules, example and their tests)', async () => {
    const files = [...listFiles(TERRAFORM_DIR, '.tf'), ...listFiles(TERRAFORM_DIR, '.tftest.hcl')];
    assert.ok(files.length >= 20, `expected the modules' files, found ${files.length}`);
    const failures: string[] = [];
    for (const file of files) {
      try {
        await parseFile(file);
      } catch (err) {
        failures.push(String(err));
      }
    }
    assert.deepEqual(failures, []);
  });

  it('gives every module a mock_provider test, a README with inputs and outputs, and versions', () => {
    for (const dir of ROOT_DIRS) {
      const tests = listFiles(join(TERRAFORM_DIR, dir, 'tests'), '.tftest.hcl');
      assert.ok(tests.length > 0, `${dir} has no tests/*.tftest.hcl`);
      for (const t of tests) assert.match(readFileSync(t, 'utf8'), /^mock_provider "aws" \{/m, t);
      assert.ok(existsSync(join(TERRAFORM_DIR, dir, 'versions.tf')), `${dir} has no versions.tf`);
    }
    for (const dir of MODULE_DIRS) {
      const readme = readFileSync(join(TERRAFORM_DIR, dir, 'README.md'), 'utf8');
      assert.match(readme, /^## Inputs$/m, `${dir}/README.md has no Inputs section`);
      assert.match(readme, /^## Outputs$/m, `${dir}/README.md has no Outputs section`);
      for (const name of mod(dir).variables.keys()) {
        assert.match(
          readme,
          new RegExp(`^\\|\\s*\`${name}\`\\s*\\|`, 'm'),
          `${dir}/README.md misses input ${name}`,
        );
      }
      for (const name of mod(dir).outputs.keys()) {
        assert.match(
          readme,
          new RegExp(`^\\|\\s*\`${name}\`\\s*\\|`, 'm'),
          `${dir}/README.md misses output ${name}`,
        );
      }
    }
  });
});

describe('variables and outputs', () => {
  // Free-form by nature: flags, tags and a folder path have no narrower valid set.
  const FREE_FORM = new Set(['tags', 'monitoring_dir']);

  it('every variable has a type and a description', () => {
    for (const dir of ALL_DIRS) {
      for (const [name, body] of mod(dir).variables) {
        assert.equal(typeof body['type'], 'string', `${dir} variable ${name} has no type`);
        assert.ok(
          String(body['description'] ?? '').length > 10,
          `${dir} variable ${name} has no description`,
        );
      }
    }
  });

  it('every constrained variable (not a bool, not free-form) has a validation block', () => {
    for (const dir of ALL_DIRS) {
      for (const [name, body] of mod(dir).variables) {
        if (body['type'] === '${bool}' || FREE_FORM.has(name)) continue;
        const validations = blocks(body, 'validation');
        assert.ok(validations.length > 0, `${dir} variable ${name} has no validation`);
        for (const v of validations) {
          // Error messages name the variable and say what was expected.
          assert.ok(String(v['error_message']).startsWith(name), `${dir} ${name}: ${v['error_message']}`);
          assert.match(String(v['error_message']), / must /, `${dir} ${name}`);
        }
      }
    }
  });

  it('every output has a description', () => {
    for (const dir of ALL_DIRS) {
      for (const [name, body] of mod(dir).outputs) {
        assert.ok(String(body['description'] ?? '').length > 10, `${dir} output ${name} has no description`);
      }
    }
  });
});

describe('no hard-coded environment', () => {
  const REGION =
    /\b(us|eu|ap|sa|ca|me|af|il|mx|cn|us-gov)-(north|south|east|west|central)(east|west)?-\d[a-z]?\b/;
  const CIDR = /\b\d{1,3}(\.\d{1,3}){3}\/\d{1,2}\b/;

  /** The strings Terraform would deploy: everything but variable descriptions and validation messages. */
  function deployedStrings(module: ParsedModule): [string, string][] {
    const found: [string, string][] = [];
    for (const [file, doc] of module.files) {
      for (const [path, value] of strings(doc, file)) {
        if (/\.variable\.[^.]+\[0\]\.(description|validation)/.test(path)) continue;
        found.push([path, value]);
      }
    }
    return found;
  }

  it('names no region, availability zone or account in any module or the example', () => {
    for (const dir of ALL_DIRS) {
      const hits = deployedStrings(mod(dir)).filter(([, v]) => REGION.test(v) || /\b\d{12}\b/.test(v));
      assert.deepEqual(hits, [], `${dir} hard-codes a region, zone or account`);
    }
    for (const template of listFiles(join(TERRAFORM_DIR, 'modules'), '.tftpl')) {
      assert.doesNotMatch(readFileSync(template, 'utf8'), REGION, template);
    }
  });

  it('writes no CIDR except 0.0.0.0/0 on egress rules', () => {
    for (const dir of ALL_DIRS) {
      const hits = deployedStrings(mod(dir)).filter(
        ([path, v]) =>
          CIDR.test(v) && !(v === '0.0.0.0/0' && path.includes('aws_vpc_security_group_egress_rule')),
      );
      assert.deepEqual(hits, [], `${dir} hard-codes a CIDR`);
    }
    for (const template of listFiles(join(TERRAFORM_DIR, 'modules'), '.tftpl')) {
      assert.doesNotMatch(readFileSync(template, 'utf8'), CIDR, template);
    }
  });

  it('opens no ingress to the world', () => {
    for (const dir of ALL_DIRS) {
      for (const [name, rule] of mod(dir).resources.get('aws_vpc_security_group_ingress_rule') ?? []) {
        assert.ok(
          !['0.0.0.0/0'].includes(String(rule['cidr_ipv4'])),
          `${dir} ingress ${name} is open to the world`,
        );
        assert.ok(rule['cidr_ipv6'] === undefined, `${dir} ingress ${name} opens IPv6`);
      }
      assert.equal(
        mod(dir).resources.get('aws_security_group_rule'),
        undefined,
        'use the per-rule resources',
      );
      for (const [name, sg] of mod(dir).resources.get('aws_security_group') ?? []) {
        assert.deepEqual(blocks(sg, 'ingress'), [], `${dir} security group ${name} has inline ingress`);
      }
    }
  });
});

describe('instances', () => {
  it('use launch templates with IMDSv2 required, never launch configurations', () => {
    const templates = mod('modules/prometheus').resources.get('aws_launch_template');
    assert.ok(templates && templates.size > 0, 'the prometheus module has no launch template');
    for (const [name, lt] of templates) {
      const [metadata] = blocks(lt, 'metadata_options');
      assert.equal(metadata?.['http_tokens'], 'required', `launch template ${name} allows IMDSv1`);
      assert.equal(metadata?.['http_put_response_hop_limit'], 1, `launch template ${name} hop limit`);
    }
    for (const dir of ROOT_DIRS) {
      assert.equal(
        mod(dir).resources.get('aws_launch_configuration'),
        undefined,
        `${dir} has a launch configuration`,
      );
      assert.equal(mod(dir).resources.get('aws_instance'), undefined, `${dir} has a bare aws_instance`);
      for (const [name, asg] of mod(dir).resources.get('aws_autoscaling_group') ?? []) {
        assert.equal(
          asg['launch_configuration'],
          undefined,
          `${dir} ASG ${name} uses a launch configuration`,
        );
        assert.equal(blocks(asg, 'launch_template').length, 1, `${dir} ASG ${name} has no launch template`);
      }
    }
  });

  it('find the data volume by tag, mount it by volume id, and format it only when blank', () => {
    const userData = readFileSync(
      join(TERRAFORM_DIR, 'modules/prometheus/templates/user-data.sh.tftpl'),
      'utf8',
    );
    assert.match(userData, /X-aws-ec2-metadata-token/, 'metadata reads must use an IMDSv2 token');
    assert.match(userData, /describe-volumes[\s\S]*Name=tag:\$\{volume_tag_key\}/, 'volume looked up by tag');
    assert.match(
      userData,
      /\/dev\/disk\/by-id\/nvme-Amazon_Elastic_Block_Store_\$SERIAL/,
      'device found by id',
    );
    assert.match(
      userData,
      /if \[ -z "\$\(blkid [^\n]*\n\s+mkfs\./,
      'mkfs only when blkid finds no file system',
    );
    assert.match(userData, /UUID=\$UUID \$\{mount_path\}/, 'mounted by file system UUID');
    const mkfsCount = userData.match(/mkfs\./g)?.length ?? 0;
    assert.equal(mkfsCount, 1, 'exactly one (guarded) mkfs');
    const volume = resource(mod('modules/prometheus'), 'aws_ebs_volume', 'data');
    assert.equal(volume['encrypted'], true);
    assert.match(String(volume['tags']), /\(local\.volume_tag_key\) = local\.volume_tag_value\[each\.key\]/);
    assert.equal(prometheusLocals()['volume_tag_key'], 'ecs-sd:data-volume');
  });
});

function prometheusLocals(): Record<string, unknown> {
  return mod('modules/prometheus').locals;
}

describe('IAM', () => {
  it("grants discovery exactly ecs-sd's DISCOVERY_IAM_ACTIONS", () => {
    const doc = dataSource(mod('modules/prometheus'), 'aws_iam_policy_document', 'ecs_sd_discovery');
    assert.deepEqual([...actions(doc)].sort(), [...DISCOVERY_IAM_ACTIONS].sort());
  });

  it('grants event mode exactly EVENT_MODE_IAM_ACTIONS on the queue and cross-account exactly ASSUME_ROLE_IAM_ACTIONS', () => {
    const events = dataSource(mod('modules/prometheus'), 'aws_iam_policy_document', 'ecs_sd_events');
    assert.deepEqual([...actions(events)].sort(), [...EVENT_MODE_IAM_ACTIONS].sort());
    assert.deepEqual(blocks(events, 'statement')[0]?.['resources'], ['${aws_sqs_queue.events[0].arn}']);
    const assume = dataSource(mod('modules/prometheus'), 'aws_iam_policy_document', 'ecs_sd_assume_role');
    assert.deepEqual(actions(assume), [...ASSUME_ROLE_IAM_ACTIONS]);
    assert.deepEqual(blocks(assume, 'statement')[0]?.['resources'], '${local.role_arns}');
  });

  it('attaches the ecs-sd policies to the task role and grants those actions nowhere else', () => {
    const prometheus = mod('modules/prometheus');
    for (const name of ['ecs_sd_discovery', 'ecs_sd_events', 'ecs_sd_assume_role']) {
      const policy = resource(prometheus, 'aws_iam_role_policy', name);
      assert.equal(policy['role'], '${aws_iam_role.task.id}', `${name} is not on the task role`);
    }
    const ecsSdActions = new Set<string>([...DISCOVERY_IAM_ACTIONS, ...EVENT_MODE_IAM_ACTIONS]);
    for (const dir of ROOT_DIRS) {
      for (const [name, doc] of mod(dir).data.get('aws_iam_policy_document') ?? []) {
        for (const action of actions(doc)) {
          // A KMS key policy lets the account administer its key (AWS's default key policy); scale-out.test.ts checks it is the root's.
          if (action === 'kms:*' && name.endsWith('_key_policy')) continue;
          assert.ok(!action.includes('*'), `${dir} policy ${name} grants wildcard action ${action}`);
          if (!name.startsWith('ecs_sd_')) {
            assert.ok(!ecsSdActions.has(action), `${dir} policy ${name} also grants ${action}`);
          }
        }
      }
    }
  });

  it('uses no AWS managed FullAccess or ReadOnly policy, only the ECS service-role and SSM core policies', () => {
    const allowed =
      /iam::aws:policy\/(service-role\/AmazonEC2ContainerServiceforEC2Role|service-role\/AmazonECSTaskExecutionRolePolicy|AmazonSSMManagedInstanceCore)$/;
    for (const dir of ALL_DIRS) {
      for (const [path, value] of [...mod(dir).files].flatMap(([f, d]) => [...strings(d, f)])) {
        assert.doesNotMatch(
          value,
          /FullAccess|ReadOnlyAccess|AdministratorAccess|PowerUser/,
          `${dir} ${path}`,
        );
        if (value.includes('iam::aws:policy/'))
          assert.match(value, allowed, `${dir} ${path} attaches ${value}`);
      }
    }
  });

  it('lets the instances attach only this stack’s tagged volumes', () => {
    const doc = dataSource(mod('modules/prometheus'), 'aws_iam_policy_document', 'attach_volume');
    const attach = blocks(doc, 'statement').filter((s) =>
      (s['actions'] as string[]).includes('ec2:AttachVolume'),
    );
    assert.equal(attach.length, 2);
    for (const s of attach)
      assert.equal(blocks(s, 'condition').length, 1, 'AttachVolume must be conditioned on tags');
  });
});

describe('the Prometheus task', () => {
  it('runs config, ecs-sd, prometheus, alertmanager and grafana from plain locals', () => {
    const td = resource(mod('modules/prometheus'), 'aws_ecs_task_definition', 'server');
    const expression = String(td['container_definitions']);
    for (const local of [
      'container_config',
      'container_ecs_sd',
      'container_prometheus',
      'container_alertmanager',
      'container_grafana',
    ]) {
      assert.ok(expression.includes(`local.${local}`), `the task definition does not use local.${local}`);
    }
    assert.equal(td['network_mode'], 'awsvpc', 'ecs-sd must share localhost with Prometheus');
  });

  it('has ecs-sd serve on localhost and write file_sd into the volume Prometheus reads', () => {
    const prometheus = mod('modules/prometheus');
    const ecsSd = container(prometheus, 'container_ecs_sd');
    const prom = container(prometheus, 'container_prometheus');
    const command = ecsSd['command'] as string[];
    assert.equal(command[command.indexOf('--web.listen-address') + 1], '127.0.0.1:9888');
    const outputDir = command[command.indexOf('--output.directory') + 1];
    assert.equal(outputDir, '/etc/prometheus/ecs-sd/');
    const written = mountPoints(ecsSd).find((m) => m.sourceVolume === 'file-sd');
    const read = mountPoints(prom).find((m) => m.sourceVolume === 'file-sd');
    assert.deepEqual(written, {
      sourceVolume: 'file-sd',
      containerPath: '/etc/prometheus/ecs-sd',
      readOnly: false,
    });
    assert.deepEqual(read, {
      sourceVolume: 'file-sd',
      containerPath: '/etc/prometheus/ecs-sd',
      readOnly: true,
    });
    assert.equal(ecsSd['readonlyRootFilesystem'], true);
    assert.equal(prom['readonlyRootFilesystem'], true);
    // The health check is `ecs-sd healthcheck` with exactly the container's flags: it probes what the daemon serves.
    const health = (ecsSd['healthCheck'] as { command: string[] }).command;
    assert.deepEqual(health, ['CMD', '/nodejs/bin/node', '/app/dist/cli.js', 'healthcheck', ...command]);
  });

  it('keeps Prometheus, Alertmanager and Grafana data on the persistent EBS mount', () => {
    const prometheus = mod('modules/prometheus');
    const td = resource(prometheus, 'aws_ecs_task_definition', 'server');
    const hostPaths = Object.fromEntries(
      blocks(td, 'volume')
        .filter((v) => v['host_path'] !== undefined)
        .map((v) => [v['name'], resolveLocals(v['host_path'], prometheus.locals)]),
    );
    assert.deepEqual(hostPaths, {
      'prometheus-data': '/data/prometheus',
      'alertmanager-data': '/data/alertmanager',
      'grafana-data': '/data/grafana',
    });
    const placement = blocks(td, 'placement_constraints')[0];
    assert.match(
      String(resolveLocals(placement?.['expression'], prometheus.locals)),
      /ecs-sd\.data-volume == mounted/,
    );
  });

  it('has an SNS receiver for every route and Prometheus pointed at the task’s Alertmanager', () => {
    const prometheus = mod('modules/prometheus');
    const config = mod('modules/prometheus/modules/config');
    const alertmanager = config.locals['alertmanager'] as Record<string, unknown>;
    assert.equal(
      alertmanager['route'],
      '${local.alertmanager_base.route}',
      'the routing tree of monitoring/ stays',
    );
    const receivers = String(alertmanager['receivers']);
    assert.match(
      receivers,
      /^\$\{\[\s*for r in local\.alertmanager_base\.receivers : \{\s*name = r\.name/,
      'every receiver',
    );
    assert.match(
      receivers,
      /sns_configs = \[\{\s*topic_arn\s+= var\.topic_arn/,
      'publishes to the SNS topic',
    );
    const monitoringAm = readFileSync(
      join(TERRAFORM_DIR, '..', 'monitoring', 'alertmanager', 'alertmanager.yml'),
      'utf8',
    );
    const receiver = /^ {2}receiver: (\S+)$/m.exec(monitoringAm)?.[1];
    assert.ok(
      receiver && new RegExp(`^ {2}- name: ${receiver}$`, 'm').test(monitoringAm),
      'the root route names a receiver',
    );
    const alerting = String(config.locals['prometheus']);
    assert.match(
      alerting,
      /alertmanagers = \[\{ static_configs = \[\{ targets = \["localhost:\$\{var\.alertmanager_port\}"\] \}\] \}\]/,
    );
    const call = prometheus.modules.get('config');
    assert.equal(call?.['alertmanager_port'], '${local.ports.alertmanager}');
    assert.equal(call?.['topic_arn'], '${local.alert_sns_topic_arn}');
    assert.equal((prometheus.locals['ports'] as Record<string, number>)['alertmanager'], 9093);
    const am = container(prometheus, 'container_alertmanager');
    assert.ok(String(am['command']).includes('"--web.listen-address=:9093"'), 'Alertmanager listens there');
  });

  it('takes Grafana’s admin password from SSM as a secret, never as plain environment', () => {
    const grafana = container(mod('modules/prometheus'), 'container_grafana');
    assert.deepEqual(grafana['secrets'], [
      { name: 'GF_SECURITY_ADMIN_PASSWORD', valueFrom: '${var.grafana_admin_password_ssm_parameter_arn}' },
    ]);
    assert.equal(env(grafana)['GF_SECURITY_ADMIN_PASSWORD'], undefined);
  });

  it('routes aws.ecs task and container instance state changes to a queue only EventBridge may send to', () => {
    const prometheus = mod('modules/prometheus');
    const rule = resource(prometheus, 'aws_cloudwatch_event_rule', 'ecs_state_changes');
    const pattern = String(rule['event_pattern']);
    assert.match(pattern, /source\s+= \["aws\.ecs"\]/);
    assert.match(pattern, /"ECS Task State Change", "ECS Container Instance State Change"/);
    const queuePolicy = dataSource(prometheus, 'aws_iam_policy_document', 'events_queue');
    const [statement] = blocks(queuePolicy, 'statement');
    assert.deepEqual(statement?.['actions'], ['sqs:SendMessage']);
    assert.deepEqual(blocks(statement!, 'principals')[0]?.['identifiers'], ['events.amazonaws.com']);
    assert.equal(blocks(statement!, 'condition')[0]?.['variable'], 'aws:SourceArn');
  });
});

describe('node-exporter', () => {
  it('runs as a DAEMON with host network, host PID and the root file system read-only', () => {
    const module = mod('modules/node-exporter');
    const td = resource(module, 'aws_ecs_task_definition', 'this');
    assert.equal(td['network_mode'], 'host');
    assert.equal(td['pid_mode'], 'host');
    assert.equal(td['container_definitions'], '${jsonencode([local.container])}');
    assert.equal(resource(module, 'aws_ecs_service', 'this')['scheduling_strategy'], 'DAEMON');
    const c = container(module, 'container');
    const rootfs = mountPoints(c).find((m) => m.containerPath === '/host');
    assert.deepEqual(rootfs, { sourceVolume: 'rootfs', containerPath: '/host', readOnly: true });
    const volume = blocks(td, 'volume').find((v) => v['name'] === 'rootfs');
    assert.equal(volume?.['host_path'], '/');
    assert.ok(
      String(c['command']).includes('"--path.rootfs=/host"'),
      'node-exporter is not told --path.rootfs',
    );
    assert.equal(c['readonlyRootFilesystem'], true);
  });

  it('opts in to ecs-sd with PROMETHEUS=true and PROMETHEUS_PORT', () => {
    const module = mod('modules/node-exporter');
    const vars = env(container(module, 'container'));
    assert.equal(vars['PROMETHEUS'], 'true');
    assert.equal(vars['PROMETHEUS_PORT'], '${tostring(var.port)}');
    assert.equal(module.variables.get('port')?.['default'], 9100);
  });
});

describe('cAdvisor', () => {
  it('runs privileged as a DAEMON with the mounts and device its documentation requires', () => {
    const module = mod('modules/cadvisor');
    const td = resource(module, 'aws_ecs_task_definition', 'this');
    assert.equal(td['container_definitions'], '${jsonencode([local.container])}');
    assert.equal(resource(module, 'aws_ecs_service', 'this')['scheduling_strategy'], 'DAEMON');
    const c = container(module, 'container');
    assert.equal(c['privileged'], true);
    const hostMounts = module.locals['host_mounts'] as Record<string, { host: string; container: string }>;
    const documented: Record<string, string> = {
      '/': '/rootfs',
      '/var/run': '/var/run',
      '/sys': '/sys',
      '/var/lib/docker': '/var/lib/docker',
      '/dev/disk': '/dev/disk',
    };
    assert.deepEqual(
      Object.fromEntries(Object.values(hostMounts).map((m) => [m.host, m.container])),
      documented,
    );
    const mounts = mountPoints(c);
    for (const [volume, { container: path }] of Object.entries(hostMounts)) {
      assert.deepEqual(
        mounts.find((m) => m.sourceVolume === volume),
        { sourceVolume: volume, containerPath: path, readOnly: true },
        `mount of ${volume}`,
      );
    }
    const dynamicVolume = blocks(blocks(td, 'dynamic')[0] ?? {}, 'volume')[0];
    assert.equal(
      dynamicVolume?.['for_each'],
      '${local.host_mounts}',
      'the volumes come from local.host_mounts',
    );
    assert.deepEqual(blocks(dynamicVolume!, 'content'), [
      { host_path: '${volume.value.host}', name: '${volume.key}' },
    ]);
    const devices = (c['linuxParameters'] as { devices: { hostPath: string }[] }).devices;
    assert.deepEqual(
      devices.map((d) => d.hostPath),
      ['/dev/kmsg'],
    );
  });

  it('opts in to ecs-sd with PROMETHEUS=true and PROMETHEUS_PORT', () => {
    const module = mod('modules/cadvisor');
    const c = container(module, 'container');
    const vars = env(c);
    assert.equal(vars['PROMETHEUS'], 'true');
    assert.equal(vars['PROMETHEUS_PORT'], '${tostring(var.port)}');
    assert.ok(String(c['command']).includes('"-port=${var.port}"'), 'cAdvisor must listen on var.port');
  });

  it('open the scrape port only to the Prometheus security group', () => {
    for (const dir of ['modules/node-exporter', 'modules/cadvisor']) {
      const rule = resource(mod(dir), 'aws_vpc_security_group_ingress_rule', 'scrape');
      assert.equal(rule['referenced_security_group_id'], '${var.prometheus_security_group_id}');
      assert.equal(rule['from_port'], '${var.port}');
      assert.equal(rule['to_port'], '${var.port}');
      assert.equal(rule['cidr_ipv4'], undefined);
    }
  });
});
