/**
 * What one task, one container and one label may contribute to the targets, so that no task definition
 * (any team can register one) can grow file_sd or http_sd past a known size. The worst case per task is
 * worked out in docs/conventions.md ("Limits"). Sizes are bytes as JSON writes them: UTF-8, escapes counted.
 */
import type { Bound, BoundReason } from './types.ts';

/** The limits, in one place; the ceiling in docs/conventions.md is computed from these numbers. */
export const LIMITS = {
  /**
   * Bytes of one label value. The longest values AWS itself produces (a service ARN with 255-character
   * cluster and service names, a full image reference with tag and digest) stay under 600 bytes, so no
   * ordinary label comes near; a value past this is a blob, not something to put on every series.
   */
  labelValueBytes: 1024,
  /** Bytes of one label name. Tag keys are at most 128 characters (plus a 23-byte prefix); docker label and `ecs-sd.label.*` names have no AWS limit. */
  labelNameBytes: 256,
  /**
   * Labels on one target. About 55 built-in labels plus 50 tags on each of cluster, service, task and
   * EC2 instance (ECS's and EC2's own maximum) fit, with room for allowlisted docker labels and user labels.
   */
  labelsPerTarget: 512,
  /**
   * Bytes of all label names and values of one target. A target with every built-in label and 80 tags of
   * 100 bytes is about 13 KiB; 32 KiB leaves room while a task definition (up to 64 KiB) cannot copy
   * itself onto every target.
   */
  labelBytesPerTarget: 32 * 1024,
  /**
   * Endpoints one container may declare, per convention and in total: one per port and path. Exporters
   * have a handful; 32 covers a container with many ports while 800 `ecs-sd.endpoints.*` cannot multiply
   * the container's labels 800 times.
   */
  endpointsPerContainer: 32,
  /** Targets of one task. A task definition has at most 10 containers (an ECS quota); 64 is several endpoints on each. */
  targetsPerTask: 64,
  /** Skips and notes kept per container for explain and the why-API; more are summarised in one note. */
  messagesPerContainer: 32,
} as const;

/** Printable ASCII without `"` and `\`: JSON writes it byte for byte. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** Bytes of `text` inside a JSON string as JSON.stringify writes it: UTF-8, with `\"`, `\n`, `\u0001`, `\ud800` escapes. */
export function jsonBytes(text: string): number {
  if (PLAIN.test(text)) return text.length;
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 || c === 0x5c || c === 0x08 || c === 0x0c || c === 0x0a || c === 0x0d || c === 0x09)
      bytes += 2;
    else if (c < 0x20) bytes += 6;
    else if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 6;
    } else if (c >= 0xdc00 && c <= 0xdfff) bytes += 6;
    else bytes += 3;
  }
  return bytes;
}

/** jsonBytes of `text`, or undefined as soon as it is certainly over `max` (a JSON byte per character at least): a 40,000-character value is not scanned. */
export function jsonBytesWithin(text: string, max: number): number | undefined {
  if (text.length > max) return undefined;
  const bytes = jsonBytes(text);
  return bytes > max ? undefined : bytes;
}

/**
 * True when every label is within the limits, so there is nothing to bound. Cheap for ordinary targets:
 * JSON writes at most 6 bytes per character, so short labels need no byte count at all.
 */
export function withinLimits(labels: Readonly<Record<string, string>>, names: readonly string[]): boolean {
  if (names.length > LIMITS.labelsPerTarget) return false;
  let upper = 0;
  for (const name of names) {
    const value = labels[name]!;
    // JSON writes at least 1 and at most 6 bytes per character: only long texts need counting.
    if (name.length > LIMITS.labelNameBytes || value.length > LIMITS.labelValueBytes) return false;
    const n = 6 * name.length <= LIMITS.labelNameBytes ? 6 * name.length : jsonBytes(name);
    const v = 6 * value.length <= LIMITS.labelValueBytes ? 6 * value.length : jsonBytes(value);
    if (n > LIMITS.labelNameBytes || v > LIMITS.labelValueBytes) return false;
    upper += n + v;
  }
  if (upper <= LIMITS.labelBytesPerTarget) return true;
  let bytes = 0;
  for (const name of names) bytes += jsonBytes(name) + jsonBytes(labels[name]!);
  return bytes <= LIMITS.labelBytesPerTarget;
}

/** A label left out of one target, and why. */
export interface DroppedLabel {
  name: string;
  reason: BoundReason;
  /** Characters of the value and of the name (for messages). */
  valueLength: number;
  nameLength: number;
  /** True when the name, not the value, was over its limit. */
  longName?: boolean;
}

/** A target's labels within the limits, or the one label it cannot go without that is too long. */
export type BoundedLabels =
  | { labels: Record<string, string>; dropped: DroppedLabel[] }
  | { tooLong: { name: string; length: number } };

/**
 * Keeps a target's labels within LIMITS. `essential` labels (job, scrape parameters) are always kept, or
 * the target cannot be made; then each class in order (most important first), by name: a label too
 * long is left out, and once the count or byte budget is spent every further label is.
 */
export function boundLabels(
  essential: Readonly<Record<string, string>>,
  classes: readonly Readonly<Record<string, string>>[],
): BoundedLabels {
  const labels: Record<string, string> = {};
  const dropped: DroppedLabel[] = [];
  let count = 0;
  let bytes = 0;
  for (const [name, value] of Object.entries(essential)) {
    const valueBytes = jsonBytesWithin(value, LIMITS.labelValueBytes);
    if (valueBytes === undefined) return { tooLong: { name, length: value.length } };
    labels[name] = value;
    count++;
    bytes += jsonBytes(name) + valueBytes;
  }
  for (const cls of classes) {
    for (const name of Object.keys(cls).sort()) {
      if (Object.hasOwn(labels, name)) continue;
      const value = cls[name]!;
      const nameBytes = jsonBytesWithin(name, LIMITS.labelNameBytes);
      const valueBytes = jsonBytesWithin(value, LIMITS.labelValueBytes);
      const drop = (reason: BoundReason): void => {
        dropped.push({
          name,
          reason,
          valueLength: value.length,
          nameLength: name.length,
          ...(nameBytes === undefined ? { longName: true } : {}),
        });
      };
      if (nameBytes === undefined || valueBytes === undefined) drop('label-too-long');
      else if (count >= LIMITS.labelsPerTarget) drop('too-many-labels');
      else if (bytes + nameBytes + valueBytes > LIMITS.labelBytesPerTarget) drop('labels-too-large');
      else {
        labels[name] = value;
        count++;
        bytes += nameBytes + valueBytes;
      }
    }
  }
  return { labels, dropped };
}

/** How many names a message lists before `and N more`. */
const LISTED = 5;

/** Up to five names, then `and N more`: messages about lists cut at a limit stay short. */
export function listNames(names: readonly string[]): string {
  const shown = names.slice(0, LISTED).join(', ');
  return names.length > LISTED ? `${shown}, and ${names.length - LISTED} more` : shown;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** One Bound per reason for a container, from what each of its targets went without (targets with nothing left out may be included as empty lists). */
export function boundsOf(perTarget: readonly (readonly DroppedLabel[])[]): Bound[] {
  const byReason = new Map<BoundReason, { names: Map<string, DroppedLabel>; targets: number }>();
  for (const dropped of perTarget) {
    const seen = new Set<BoundReason>();
    for (const d of dropped) {
      let entry = byReason.get(d.reason);
      if (!entry) {
        entry = { names: new Map(), targets: 0 };
        byReason.set(d.reason, entry);
      }
      if (!entry.names.has(d.name)) entry.names.set(d.name, d);
      if (!seen.has(d.reason)) {
        seen.add(d.reason);
        entry.targets++;
      }
    }
  }
  const bounds: Bound[] = [];
  for (const reason of ['label-too-long', 'too-many-labels', 'labels-too-large'] as const) {
    const entry = byReason.get(reason);
    if (!entry) continue;
    const of = plural(entry.targets, 'target');
    const names = [...entry.names.values()];
    switch (reason) {
      case 'label-too-long': {
        const shown = names.map((d) =>
          d.longName
            ? `${d.name.slice(0, 64)}… (a name of ${d.nameLength} characters)`
            : `${d.name} (a value of ${d.valueLength} characters)`,
        );
        bounds.push({
          reason,
          message: `labels over ${LIMITS.labelNameBytes} bytes of name or ${LIMITS.labelValueBytes} bytes of value left out of ${of}: ${listNames(shown)}`,
        });
        break;
      }
      case 'too-many-labels':
        bounds.push({
          reason,
          message: `labels past the limit of ${LIMITS.labelsPerTarget} per target left out of ${of}: ${listNames(names.map((d) => d.name))}`,
        });
        break;
      case 'labels-too-large':
        bounds.push({
          reason,
          message: `labels past the limit of ${LIMITS.labelBytesPerTarget} bytes per target left out of ${of}: ${listNames(names.map((d) => d.name))}`,
        });
        break;
    }
  }
  return bounds;
}
