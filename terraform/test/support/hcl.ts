import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from '@cdktf/hcl2json';

/** The terraform/ folder of the repository, whatever the working directory of the test run. */
export const TERRAFORM_DIR = join(import.meta.dirname, '..', '..');

/** The module folders the kit ships, relative to TERRAFORM_DIR. */
export const MODULE_DIRS = [
  'modules/prometheus',
  'modules/node-exporter',
  'modules/cadvisor',
  'modules/scale-out',
] as const;

/** Every Terraform root with its own tests: the modules and the example. */
export const ROOT_DIRS = [...MODULE_DIRS, 'examples/complete', 'examples/scale-out'] as const;

/** Every folder of .tf files, including the provider-less submodules that adapt monitoring/. */
export const ALL_DIRS = [
  ...ROOT_DIRS,
  'modules/prometheus/modules/config',
  'modules/scale-out/modules/config',
] as const;

/** One parsed .tf file as hcl2json returns it: blocks as arrays keyed by type and name. */
export type HclDocument = Record<string, unknown>;

/** The blocks of one kind merged over a module's files: resource type → name → block bodies. */
export interface ParsedModule {
  dir: string;
  files: Map<string, HclDocument>;
  resources: Map<string, Map<string, Record<string, unknown>>>;
  data: Map<string, Map<string, Record<string, unknown>>>;
  variables: Map<string, Record<string, unknown>>;
  outputs: Map<string, Record<string, unknown>>;
  modules: Map<string, Record<string, unknown>>;
  locals: Record<string, unknown>;
}

/** Lists files under dir whose names end with suffix, skipping .terraform and node_modules. */
export function listFiles(dir: string, suffix: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === '.terraform' || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...listFiles(path, suffix));
    else if (entry.name.endsWith(suffix)) found.push(path);
  }
  return found.sort();
}

/** Parses one HCL file; hcl2json reports syntax errors with file, line and column. */
export async function parseFile(path: string): Promise<HclDocument> {
  return (await parse(relative(TERRAFORM_DIR, path), readFileSync(path, 'utf8'))) as HclDocument;
}

function asRecord(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`expected an object at ${where}, received ${JSON.stringify(value)}`);
  }
  return value as Record<string, unknown>;
}

function firstBody(value: unknown, where: string): Record<string, unknown> {
  const bodies = Array.isArray(value) ? value : [value];
  return asRecord(bodies[0], where);
}

function addTyped(
  into: Map<string, Map<string, Record<string, unknown>>>,
  section: unknown,
  where: string,
): void {
  if (section === undefined) return;
  for (const [type, byName] of Object.entries(asRecord(section, where))) {
    const names = into.get(type) ?? new Map<string, Record<string, unknown>>();
    for (const [name, body] of Object.entries(asRecord(byName, `${where}.${type}`))) {
      names.set(name, firstBody(body, `${where}.${type}.${name}`));
    }
    into.set(type, names);
  }
}

/** Parses the top-level .tf files of a module folder (not its tests) into one view. */
export async function parseModule(moduleDir: string): Promise<ParsedModule> {
  const dir = join(TERRAFORM_DIR, moduleDir);
  const module: ParsedModule = {
    dir,
    files: new Map(),
    resources: new Map(),
    data: new Map(),
    variables: new Map(),
    outputs: new Map(),
    modules: new Map(),
    locals: {},
  };
  const tfFiles = readdirSync(dir)
    .filter((name) => name.endsWith('.tf'))
    .sort();
  for (const name of tfFiles) {
    const doc = await parseFile(join(dir, name));
    module.files.set(name, doc);
    addTyped(module.resources, doc['resource'], `${name} resource`);
    addTyped(module.data, doc['data'], `${name} data`);
    for (const [key, section] of [
      ['variable', module.variables],
      ['output', module.outputs],
      ['module', module.modules],
    ] as const) {
      const blocks = doc[key];
      if (blocks === undefined) continue;
      for (const [blockName, body] of Object.entries(asRecord(blocks, `${name} ${key}`))) {
        section.set(blockName, firstBody(body, `${name} ${key}.${blockName}`));
      }
    }
    const locals = doc['locals'];
    if (Array.isArray(locals)) {
      for (const block of locals) Object.assign(module.locals, asRecord(block, `${name} locals`));
    }
  }
  return module;
}

/** The body of resource type.name, or a thrown error naming what is missing. */
export function resource(module: ParsedModule, type: string, name: string): Record<string, unknown> {
  const body = module.resources.get(type)?.get(name);
  if (body === undefined) throw new Error(`no resource ${type}.${name} in ${module.dir}`);
  return body;
}

/** The body of data source type.name, or a thrown error naming what is missing. */
export function dataSource(module: ParsedModule, type: string, name: string): Record<string, unknown> {
  const body = module.data.get(type)?.get(name);
  if (body === undefined) throw new Error(`no data source ${type}.${name} in ${module.dir}`);
  return body;
}

/** The nested blocks called name inside body (hcl2json keeps every block as an array). */
export function blocks(body: Record<string, unknown>, name: string): Record<string, unknown>[] {
  const value = body[name];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map((b, i) => asRecord(b, `${name}[${i}]`));
}

/**
 * Replaces `${local.NAME}` and `${local.NAME.KEY}` references to literal locals with their values,
 * recursively, so assertions read what Terraform would render; other expressions stay as written.
 */
export function resolveLocals(value: unknown, locals: Record<string, unknown>): unknown {
  if (typeof value === 'string') {
    const whole = /^\$\{local\.([a-z0-9_]+)(?:\.([a-z0-9_]+))?\}$/.exec(value);
    if (whole) {
      const resolved = lookupLocal(locals, whole[1]!, whole[2]);
      if (resolved !== undefined) return resolveLocals(resolved, locals);
    }
    return value.replace(
      /\$\{local\.([a-z0-9_]+)(?:\.([a-z0-9_]+))?\}/g,
      (text, name: string, key?: string) => {
        const resolved = lookupLocal(locals, name, key);
        return typeof resolved === 'string' || typeof resolved === 'number' ? String(resolved) : text;
      },
    );
  }
  if (Array.isArray(value)) return value.map((v) => resolveLocals(v, locals));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveLocals(v, locals)]));
  }
  return value;
}

function lookupLocal(locals: Record<string, unknown>, name: string, key: string | undefined): unknown {
  const value = locals[name];
  if (key === undefined) return value;
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    return (value as Record<string, unknown>)[key];
  }
  return undefined;
}

/** Every string inside value, with the path that leads to it, for scans of literal values. */
export function* strings(value: unknown, path = ''): Generator<[string, string]> {
  if (typeof value === 'string') yield [path, value];
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* strings(v, `${path}[${i}]`);
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) yield* strings(v, path === '' ? k : `${path}.${k}`);
  }
}
