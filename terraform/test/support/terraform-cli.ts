import { spawn } from 'node:child_process';
import { accessSync, constants, cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { which } from '@ecs-sd/testkit';

/** What a finished child process said. */
export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command without a shell and collects its output; the deadline kills a hung process. */
export function run(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The Terraform-compatible binary to use: $TERRAFORM_BINARY, else terraform or tofu on PATH. */
export function findTerraform(): string | undefined {
  const explicit = process.env['TERRAFORM_BINARY'];
  if (explicit) return isExecutable(explicit) ? explicit : undefined;
  return which('terraform') ?? which('tofu');
}

/** How the AWS provider can be installed without the network, if at all. */
export type ProviderSource = { kind: 'cli-config'; path: string } | { kind: 'mirror'; path: string };

function holdsAwsProvider(dir: string): boolean {
  const aws = join(dir, 'registry.terraform.io', 'hashicorp', 'aws');
  return existsSync(aws) && readdirSync(aws).length > 0;
}

/**
 * Looks for a local source of the hashicorp/aws provider: $TF_PLUGIN_MIRROR (a filesystem mirror),
 * an existing $TF_CLI_CONFIG_FILE with a provider_installation block, then the implied local mirror
 * folders Terraform documents and /opt/tf-plugins. The network is never used.
 */
export function findProviderSource(): ProviderSource | undefined {
  const mirror = process.env['TF_PLUGIN_MIRROR'];
  if (mirror && holdsAwsProvider(mirror)) return { kind: 'mirror', path: mirror };
  const cliConfig = process.env['TF_CLI_CONFIG_FILE'];
  if (
    cliConfig &&
    existsSync(cliConfig) &&
    readFileSync(cliConfig, 'utf8').includes('provider_installation')
  ) {
    return { kind: 'cli-config', path: cliConfig };
  }
  const candidates = [
    join(homedir(), '.terraform.d', 'plugins'),
    join(homedir(), '.local', 'share', 'terraform', 'plugins'),
    '/usr/local/share/terraform/plugins',
    '/usr/share/terraform/plugins',
    '/opt/tf-plugins',
  ];
  const found = candidates.find(holdsAwsProvider);
  return found === undefined ? undefined : { kind: 'mirror', path: found };
}

/** Writes a CLI config that installs providers only from the mirror (or nothing) and returns its path. */
export function writeCliConfig(dir: string, source: ProviderSource | undefined): string {
  if (source?.kind === 'cli-config') return source.path;
  const path = join(dir, 'terraform.rc');
  const body =
    source === undefined
      ? '# no provider source: fmt and template rendering need none\n'
      : [
          'provider_installation {',
          '  filesystem_mirror {',
          `    path    = ${JSON.stringify(source.path)}`,
          '    include = ["registry.terraform.io/*/*"]',
          '  }',
          '  direct {',
          '    exclude = ["registry.terraform.io/*/*"]',
          '  }',
          '}',
          '',
        ].join('\n');
  writeFileSync(path, body);
  return path;
}

/** The environment of every terraform child: no prompts, no update checks, our CLI config. */
export function terraformEnv(cliConfig: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TF_CLI_CONFIG_FILE: cliConfig,
    TF_IN_AUTOMATION: '1',
    TF_INPUT: '0',
    CHECKPOINT_DISABLE: '1',
    NO_COLOR: '1',
  };
}

/**
 * Copies terraform/modules, terraform/examples, terraform/test/golden and monitoring/ into dir with the
 * same relative layout, so `terraform init` writes .terraform and lock files there, never in the work tree.
 */
export function copyTree(repoDir: string, dir: string): void {
  const skip = (src: string) =>
    !/[/\\](\.terraform|node_modules)([/\\]|$)/.test(src) && !src.endsWith('.terraform.lock.hcl');
  cpSync(join(repoDir, 'terraform', 'modules'), join(dir, 'terraform', 'modules'), {
    recursive: true,
    filter: skip,
  });
  cpSync(join(repoDir, 'terraform', 'examples'), join(dir, 'terraform', 'examples'), {
    recursive: true,
    filter: skip,
  });
  // The golden files the prometheus module's terraform test compares its rendered ecs-sd config with.
  cpSync(join(repoDir, 'terraform', 'test', 'golden'), join(dir, 'terraform', 'test', 'golden'), {
    recursive: true,
  });
  if (existsSync(join(repoDir, 'monitoring'))) {
    cpSync(join(repoDir, 'monitoring'), join(dir, 'monitoring'), { recursive: true, filter: skip });
  }
}
