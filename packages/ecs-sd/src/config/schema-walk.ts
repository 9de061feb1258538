/**
 * Reading the config schema itself: the keys an object allows (for "unknown key" problems) and the
 * default of a key (for flag help), so both come from the one schema instead of being written again.
 */

/** Zod's internal definition of a schema, enough to walk object shapes and find defaults. */
interface SchemaDef {
  type: string;
  shape?: Record<string, unknown>;
  innerType?: unknown;
  element?: unknown;
  in?: unknown;
  defaultValue?: unknown;
}

type Path = readonly PropertyKey[];

function defOf(schema: unknown): SchemaDef | undefined {
  return (schema as { _zod?: { def?: SchemaDef } } | undefined)?._zod?.def;
}

/** The schema inside optional, default, prefault, nullable and pipe wrappers; `visit` sees each wrapper. */
function unwrap(schema: unknown, visit?: (def: SchemaDef) => void): unknown {
  let current = schema;
  for (let depth = 0; depth < 10; depth++) {
    const def = defOf(current);
    if (def === undefined) return current;
    visit?.(def);
    if (def.innerType !== undefined) current = def.innerType;
    else if (def.type === 'pipe') current = def.in;
    else return current;
  }
  return current;
}

/** The schema at `path` (object keys and array indexes), undefined when the path leaves the schema. */
function schemaAt(schema: unknown, path: Path): unknown {
  let current = schema;
  for (const part of path) {
    const def = defOf(unwrap(current));
    if (def === undefined) return undefined;
    if (typeof part === 'number' && def.type === 'array') current = def.element;
    else if (def.type === 'object' && def.shape !== undefined) current = def.shape[String(part)];
    else return undefined;
  }
  return current;
}

/** The keys an object schema at `path` allows, for "unknown key" problems. */
export function knownKeysAt(schema: unknown, path: Path): string[] {
  const shape = defOf(unwrap(schemaAt(schema, path)))?.shape;
  return shape === undefined ? [] : Object.keys(shape);
}

/** The default of the key at `path` as the schema declares it (`.default()` or `.prefault()`), undefined when it has none. */
export function defaultAt(schema: unknown, path: Path): unknown {
  let found: unknown;
  unwrap(schemaAt(schema, path), (def) => {
    if (found === undefined && (def.type === 'default' || def.type === 'prefault')) found = def.defaultValue;
  });
  return found;
}
