/** The fields of an S3 (or S3-compatible) XML error document. */
export interface S3ErrorInfo {
  /** `<Code>`, e.g. `AccessDenied`, `SignatureDoesNotMatch`, `NoSuchKey`. */
  code: string | undefined;
  /** `<Message>`, e.g. `Request has expired`. */
  message: string | undefined;
  /** `<RequestId>`, when present. */
  requestId: string | undefined;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decodeXml(text: string): string {
  return text
    .replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, "$1")
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, entity: string) => {
      if (entity[0] === "#") {
        const n = entity[1] === "x" || entity[1] === "X" ? Number.parseInt(entity.slice(2), 16) : Number(entity.slice(1));
        return Number.isFinite(n) && n >= 0 && n <= 0x10ffff ? String.fromCodePoint(n) : whole;
      }
      return ENTITIES[entity.toLowerCase()] ?? whole;
    })
    .trim();
}

function element(xml: string, name: string): string | undefined {
  const match = new RegExp(`<${name}(?:\\s[^>]*)?>([\\s\\S]*?)</${name}>`, "i").exec(xml);
  return match?.[1] === undefined ? undefined : decodeXml(match[1]);
}

/**
 * Read an S3 XML error (`<Error><Code>AccessDenied</Code><Message>Request has expired</Message>…</Error>`).
 * Returns undefined when the text is not such a document (no `<Error>` element with a `<Code>` or `<Message>`).
 * @example parseS3Error(await response.text())?.code // → "SignatureDoesNotMatch"
 */
export function parseS3Error(xml: string): S3ErrorInfo | undefined {
  if (!/<Error[\s>]/i.test(xml)) return undefined;
  const code = element(xml, "Code");
  const message = element(xml, "Message");
  if (code === undefined && message === undefined) return undefined;
  return { code: code || undefined, message: message || undefined, requestId: element(xml, "RequestId") || undefined };
}
