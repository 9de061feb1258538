import type { ApiError } from './errors.ts';
import type { WireResponse } from './json.ts';

/** A tiny XML tree: an element is `[name, children]`, text is a string, lists of elements are arrays. */
export type XmlNode = string | number | boolean | undefined | null | XmlElement | XmlNode[];
/** An element with its children; absent (undefined) children are omitted, as AWS omits empty members. */
export interface XmlElement {
  [name: string]: XmlNode;
}

/** Escapes text for XML content. */
export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) =>
    c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : c === '"' ? '&quot;' : '&apos;',
  );
}

/** Serialises an element's children; a key holding an array becomes repeated `<item>`-style wrappers chosen by the caller. */
export function renderXml(node: XmlNode): string {
  if (node === undefined || node === null) return '';
  if (typeof node === 'string') return escapeXml(node);
  if (typeof node === 'number' || typeof node === 'boolean') return String(node);
  if (Array.isArray(node)) return node.map(renderXml).join('');
  let out = '';
  for (const key of Object.keys(node)) {
    const child = node[key];
    if (child === undefined || child === null) continue;
    out += `<${key}>${renderXml(child)}</${key}>`;
  }
  return out;
}

/** Wraps a list of elements in `<item>` tags, the EC2 Query list encoding. */
export const items = (list: XmlElement[]): XmlElement[] => list.map((x) => ({ item: x }));

/** Wraps a list of elements in `<member>` tags, the awsQuery (STS) list encoding. */
export const members = (list: XmlElement[]): XmlElement[] => list.map((x) => ({ member: x }));

/** Renders an EC2 Query response `<OpResponse xmlns=...><requestId>` as the AwsEc2QueryProtocol deserializer reads it. */
export function ec2Ok(op: string, body: XmlElement, requestId: string): WireResponse {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<${op}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>${requestId}</requestId>${renderXml(body)}</${op}Response>`;
  return {
    status: 200,
    headers: { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': requestId },
    body: xml,
  };
}

/** Renders an EC2 error as `<Response><Errors><Error><Code>` with `<RequestID>`, the EC2 error envelope. */
export function ec2Error(err: ApiError, requestId: string): WireResponse {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${escapeXml(err.code)}</Code><Message>${escapeXml(err.message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`;
  return {
    status: err.status,
    headers: { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': requestId },
    body: xml,
  };
}

/** Renders an awsQuery (STS) response with its `<OpResult>` and `<ResponseMetadata>`. */
export function queryOk(op: string, ns: string, body: XmlElement, requestId: string): WireResponse {
  const xml = `<${op}Response xmlns="${ns}"><${op}Result>${renderXml(body)}</${op}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${op}Response>`;
  return { status: 200, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body: xml };
}

/** Renders an awsQuery (STS) error `<ErrorResponse><Error><Type><Code><Message>`. */
export function queryError(ns: string, err: ApiError, requestId: string): WireResponse {
  const type = err.status >= 500 ? 'Receiver' : 'Sender';
  const xml = `<ErrorResponse xmlns="${ns}"><Error><Type>${type}</Type><Code>${escapeXml(err.code)}</Code><Message>${escapeXml(err.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  return {
    status: err.status,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body: xml,
  };
}
