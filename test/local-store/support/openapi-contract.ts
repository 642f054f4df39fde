import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { parse } from "yaml";

/** openapi.yaml, parsed once per test file. */
const doc = parse(readFileSync(new URL("../../../openapi.yaml", import.meta.url), "utf8")) as OpenApiDoc;

interface OpenApiDoc {
  paths: Record<string, Record<string, Operation>>;
  components: { responses: Record<string, ResponseObject> };
}
interface Operation {
  operationId?: string;
  responses?: Record<string, ResponseObject>;
}
interface ResponseObject {
  $ref?: string;
  content?: Record<string, { schema?: unknown }>;
}

// OpenAPI 3.1 schemas are JSON Schema 2020-12; the whole document is registered so "#/components/…" refs resolve.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;
const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
addFormats(ajv);
ajv.addSchema(doc, "openapi.json");

const pointer = (tokens: string[]): string => tokens.map((t) => encodeURIComponent(t.replace(/~/g, "~0").replace(/\//g, "~1"))).join("/");

/** Path templates of openapi.yaml as regexes; the CDN route is served under `/cdn` by the local store. */
const templates = Object.keys(doc.paths).map((template) => ({
  template,
  regex: new RegExp(`^${template === "/{org_slug}/{project_slug}/{artifact_id}" ? "/cdn" : ""}${template.replace(/\{[^}]+\}/g, "[^/]+")}$`),
}));

/** The openapi.yaml operation a request hits: its path template, method and operation. */
export function findOperation(method: string, path: string): { template: string; operation: Operation } | undefined {
  const m = method.toLowerCase() === "head" ? "get" : method.toLowerCase();
  for (const { template, regex } of templates) {
    if (!regex.test(path)) continue;
    const operation = doc.paths[template]?.[m];
    if (operation) return { template, operation };
  }
  return undefined;
}

/** Every (operationId, status) pair seen by {@link assertMatchesContract}, for coverage checks. */
export const seen = new Set<string>();

/** Turn S3's `<Error><Code>…</Code>…</Error>` into `{ Code, Message, … }`. */
export function parseS3Error(xml: string): Record<string, string> {
  const body = /<Error>([\s\S]*)<\/Error>/.exec(xml)?.[1];
  if (body === undefined) throw new Error(`not an S3 error document: ${xml.slice(0, 200)}`);
  const out: Record<string, string> = {};
  for (const m of body.matchAll(/<([A-Za-z-]+)>([^<]*)<\/\1>/g)) out[m[1]!] = m[2]!;
  return out;
}

/**
 * Fail unless a response is one openapi.yaml documents for this request: a documented status, and a body valid
 * against the schema of its media type (JSON; S3 XML errors are parsed and checked against `S3Error`).
 */
export function assertMatchesContract(method: string, path: string, status: number, contentType: string | null, body: string): void {
  const found = findOperation(method, path);
  if (!found) throw new Error(`${method} ${path}: no such operation in openapi.yaml`);
  const { template, operation } = found;
  const m = method.toLowerCase() === "head" ? "get" : method.toLowerCase();
  let response = operation.responses?.[String(status)];
  let base = ["paths", template, m, "responses", String(status)];
  if (!response) throw new Error(`${operation.operationId} answered ${status}, which openapi.yaml does not document: ${body.slice(0, 300)}`);
  seen.add(`${operation.operationId}:${status}`);
  if (response.$ref) {
    const name = response.$ref.split("/").at(-1)!;
    response = doc.components.responses[name]!;
    base = ["components", "responses", name];
  }
  if (!response.content || body.length === 0 || method === "HEAD") return;
  const media = (contentType ?? "").split(";")[0]!.trim();
  if (!(media in response.content)) {
    throw new Error(`${operation.operationId} ${status}: content type ${media} is not documented (${Object.keys(response.content).join(", ")})`);
  }
  let value: unknown;
  if (media === "application/json") value = JSON.parse(body);
  else if (media === "application/xml") value = parseS3Error(body);
  else return;
  const validate = ajv.getSchema(`openapi.json#/${pointer([...base, "content", media, "schema"])}`);
  if (!validate) throw new Error(`no schema for ${operation.operationId} ${status} ${media}`);
  if (!validate(value)) {
    throw new Error(`${operation.operationId} ${status} body does not match openapi.yaml: ${ajv.errorsText(validate.errors)}\n${body.slice(0, 500)}`);
  }
}
