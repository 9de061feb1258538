import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { requireTool } from '@ecs-sd/testkit';
import { ROOT_DIRS, TERRAFORM_DIR } from './support/hcl.ts';
import {
  copyTree,
  findProviderSource,
  findTerraform,
  type RunResult,
  run,
  terraformEnv,
  writeCliConfig,
} from './support/terraform-cli.ts';

// The terraform binary and the AWS provider are not installable from the npm registry or Debian; a
// machine that has them (binary on PATH or $TERRAFORM_BINARY, provider in a local mirror) runs the
// real checks, any other machine skips them with these messages and relies on the static tests.
const terraform = findTerraform();
const providerSource = findProviderSource();
const SKIP_NO_BINARY =
  'no terraform or tofu binary (PATH or $TERRAFORM_BINARY): fmt -check, validate and test skipped; static checks still run';
const SKIP_NO_PROVIDER =
  'no local hashicorp/aws provider ($TF_PLUGIN_MIRROR, $TF_CLI_CONFIG_FILE or an implied mirror): validate and test skipped';
const REPO_DIR = join(TERRAFORM_DIR, '..');

const workDir = mkdtempSync(join(tmpdir(), 'ecs-sd-terraform-'));
const env = terraformEnv(writeCliConfig(workDir, providerSource));

function explain(step: string, result: RunResult): string {
  return `${step} exited ${result.code}\n${result.stdout}\n${result.stderr}`;
}

after(() => rmSync(workDir, { recursive: true, force: true }));

describe('terraform CLI checks', () => {
  before(() => {
    const ran =
      terraform === undefined ? 'none' : providerSource === undefined ? 'fmt only' : 'fmt, validate, test';
    console.log(
      `terraform checks: ${ran} (binary: ${terraform ?? 'none'}, provider: ${providerSource?.path ?? 'none'})`,
    );
  });

  it('terraform fmt -check finds nothing to reformat', {
    skip: terraform === undefined && SKIP_NO_BINARY,
  }, async () => {
    const result = await run(
      terraform!,
      ['fmt', '-check', '-recursive', '-diff', '-no-color', TERRAFORM_DIR],
      {
        cwd: TERRAFORM_DIR,
        env,
        timeoutMs: 60_000,
      },
    );
    assert.equal(result.code, 0, explain('terraform fmt -check', result));
  });

  describe('validate and test with mock_provider', {
    skip: (terraform === undefined && SKIP_NO_BINARY) || (providerSource === undefined && SKIP_NO_PROVIDER),
    concurrency: 2,
  }, () => {
    before(() => copyTree(REPO_DIR, workDir));

    for (const dir of ROOT_DIRS) {
      it(`${dir}: init, validate and terraform test pass`, async () => {
        const cwd = join(workDir, 'terraform', dir);
        const options = { cwd, env, timeoutMs: 180_000 };
        const init = await run(terraform!, ['init', '-backend=false', '-input=false', '-no-color'], options);
        assert.equal(init.code, 0, explain('terraform init', init));
        const validate = await run(terraform!, ['validate', '-no-color'], options);
        assert.equal(validate.code, 0, explain('terraform validate', validate));
        const test = await run(terraform!, ['test', '-no-color'], options);
        assert.equal(test.code, 0, explain('terraform test', test));
        assert.match(test.stdout, /Success! \d+ passed, 0 failed/);
      });
    }
  });
});

describe('rendered configuration', () => {
  // Terraform is no Debian package, so without it these skip even in CI; the Debian tools fail there.
  const promtool = requireTool('promtool', 'prometheus');
  const amtool = requireTool('amtool', 'prometheus-alertmanager');
  const skip = (terraform === undefined && SKIP_NO_BINARY) || promtool.skip || amtool.skip;

  for (const output of ['file_sd', 'http_sd']) {
    it(`modules/config adapts monitoring/ (${output}) into configs promtool and amtool accept`, {
      skip,
    }, async () => {
      // The provider-less submodule the prometheus module uses, called alone on the real monitoring/.
      const dir = join(workDir, `render-${output}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        join(dir, 'main.tf'),
        `module "config" {
  source            = ${JSON.stringify(join(TERRAFORM_DIR, 'modules', 'prometheus', 'modules', 'config'))}
  monitoring_dir    = ${JSON.stringify(join(REPO_DIR, 'monitoring'))}
  discovery_output  = "${output}"
  stack             = "monitoring"
  file_sd_dir       = "/etc/prometheus/ecs-sd"
  ecs_sd_listen     = "127.0.0.1:9888"
  alertmanager_port = 9093
  prometheus_port   = 9090
  rule_dir          = "/etc/monitoring/prometheus/rules"
  dashboards_dir    = "/etc/monitoring/grafana/dashboards"
  region            = "test-region-1"
  topic_arn         = "arn:aws:sns:test-region-1:000000000000:alerts"
  remote_write      = { url = "https://aps.example/api/v1/remote_write", sigv4 = true }
}
output "prometheus" { value = module.config.prometheus_yml }
output "alertmanager" { value = module.config.alertmanager_yml }
`,
      );
      const options = { cwd: dir, env, timeoutMs: 60_000 };
      for (const args of [
        ['init', '-input=false', '-no-color'],
        ['apply', '-auto-approve', '-input=false', '-no-color'],
      ]) {
        const result = await run(terraform!, args, options);
        assert.equal(result.code, 0, explain(`terraform ${args[0]}`, result));
      }
      const prometheus = await run(terraform!, ['output', '-raw', 'prometheus'], options);
      writeFileSync(join(dir, 'prometheus.yml'), prometheus.stdout);
      assert.doesNotMatch(
        prometheus.stdout,
        /\/var\/lib\/ecs-sd|ecs-sd:9888|alertmanager:9093/,
        'compose addresses left',
      );
      assert.match(prometheus.stdout, /"targets":\n\s+- "localhost:9093"/);
      assert.match(
        prometheus.stdout,
        output === 'file_sd'
          ? /"\/etc\/prometheus\/ecs-sd\/1m-tasks\.json"/
          : /http:\/\/127\.0\.0\.1:9888\/http-sd/,
      );
      const promCheck = await run(
        promtool.path,
        ['check', 'config', '--syntax-only', 'prometheus.yml'],
        options,
      );
      assert.equal(promCheck.code, 0, explain('promtool check config', promCheck));
      const alertmanager = await run(terraform!, ['output', '-raw', 'alertmanager'], options);
      writeFileSync(join(dir, 'alertmanager.yml'), alertmanager.stdout);
      const amCheck = await run(amtool.path, ['check-config', 'alertmanager.yml'], options);
      assert.equal(amCheck.code, 0, explain('amtool check-config', amCheck));
      assert.match(alertmanager.stdout, /"sns_configs":/);
      assert.doesNotMatch(
        alertmanager.stdout,
        /webhook_configs|127\.0\.0\.1:5001/,
        'no local-only receiver left',
      );
    });
  }
});
