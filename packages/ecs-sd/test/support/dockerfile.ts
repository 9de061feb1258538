/**
 * The ecs-sd image read from its Dockerfile (no container engine runs here): instructions with
 * continuation lines joined and comments dropped, stages with resolved base images, and the runtime
 * stage's ENV, ENTRYPOINT and instructions, for the tests that check what a user of the image gets.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const PACKAGE_DIR = join(import.meta.dirname, '..', '..');
export const REPO_DIR = join(PACKAGE_DIR, '..', '..');

/** One Dockerfile instruction: its keyword in capitals and the rest of the line. */
export interface Instruction {
  keyword: string;
  args: string;
}

/** A build stage: its name (after AS), its base image with global ARGs resolved, its instructions. */
export interface Stage {
  name: string;
  image: string;
  body: Instruction[];
}

/** Dockerfile instructions with continuation lines joined and comments dropped. */
function instructions(text: string): Instruction[] {
  const joined = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const space = line.indexOf(' ');
      return { keyword: line.slice(0, space).toUpperCase(), args: line.slice(space + 1).trim() };
    });
}

/** The stages in order, each with its resolved base image and its instructions. */
function stagesOf(all: readonly Instruction[]): Stage[] {
  const globalArgs = new Map<string, string>();
  for (const ins of all) {
    if (ins.keyword === 'FROM') break;
    if (ins.keyword === 'ARG') {
      const [name, value] = ins.args.split('=', 2) as [string, string | undefined];
      if (value !== undefined) globalArgs.set(name, value);
    }
  }
  return all.reduce<Stage[]>((acc, ins) => {
    if (ins.keyword === 'FROM') {
      const match = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      assert.ok(match, `cannot read FROM ${ins.args}`);
      const image = match[1]!.replace(
        /^\$\{(\w+)\}$/,
        (_, name: string) => globalArgs.get(name) ?? `\${${name}}`,
      );
      acc.push({ name: match[2] ?? '', image, body: [] });
    } else {
      acc.at(-1)?.body.push(ins);
    }
    return acc;
  }, []);
}

/** The Dockerfile's text. */
export const dockerfile = readFileSync(join(PACKAGE_DIR, 'Dockerfile'), 'utf8');
/** Every instruction of the Dockerfile, in order. */
export const all = instructions(dockerfile);
/** Every stage, in order; the last is the image. */
export const stages = stagesOf(all);
/** The stage the image is made of. */
export const runtime = stages.at(-1)!;

/** An exec-form argument list (a JSON array), or a failed assertion naming what was there. */
export function execForm(args: string): string[] {
  const parsed: unknown = JSON.parse(args);
  assert.ok(Array.isArray(parsed), `expected exec form (a JSON array), received ${args}`);
  return parsed as string[];
}

/** The runtime stage's ENV, as one map (`ENV A=1 B=2` and repeated ENV lines). */
export function runtimeEnv(): Map<string, string> {
  const env = new Map<string, string>();
  for (const ins of runtime.body.filter((i) => i.keyword === 'ENV')) {
    for (const [, name, value] of ins.args.matchAll(/(\w+)=(\S+)/g)) env.set(name!, value!);
  }
  return env;
}

/** The image's ENTRYPOINT, exec form. */
export function entrypoint(): string[] {
  return execForm(runtime.body.find((i) => i.keyword === 'ENTRYPOINT')!.args);
}
