import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A request as a test server saw it. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  /** Raw header names as sent, in order (to check exact spelling). */
  rawHeaderNames: string[];
  body: Buffer;
  /** True when the client stopped sending before the end (reset, abort). */
  aborted: boolean;
}

/** A throwaway HTTP server on 127.0.0.1:0 whose handler is swapped per test; it records every request. */
export interface RawServer {
  url: string;
  seen: SeenRequest[];
  handle: (handler: (req: IncomingMessage, res: ServerResponse, body: () => Promise<Buffer>) => void | Promise<void>) => void;
  close: () => Promise<void>;
}

export async function startRawServer(): Promise<RawServer> {
  let handler: (req: IncomingMessage, res: ServerResponse, body: () => Promise<Buffer>) => void | Promise<void> = (_req, res) => {
    res.statusCode = 404;
    res.end();
  };
  const seen: SeenRequest[] = [];
  const server: Server = createServer((req, res) => {
    const record: SeenRequest = {
      method: req.method ?? "",
      url: req.url ?? "",
      headers: req.headers,
      rawHeaderNames: req.rawHeaders.filter((_, i) => i % 2 === 0),
      body: Buffer.alloc(0),
      aborted: false,
    };
    seen.push(record);
    const chunks: Buffer[] = [];
    let consumed: Promise<Buffer> | undefined;
    const body = () =>
      (consumed ??= new Promise<Buffer>((resolve) => {
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
          record.body = Buffer.concat(chunks);
          resolve(record.body);
        });
        req.on("error", () => {
          record.aborted = true;
          record.body = Buffer.concat(chunks);
          resolve(record.body);
        });
        req.on("close", () => {
          if (!req.complete) {
            record.aborted = true;
            record.body = Buffer.concat(chunks);
            resolve(record.body);
          }
        });
      }));
    Promise.resolve(handler(req, res, body)).catch((e: unknown) => {
      res.statusCode = 500;
      res.end(String(e));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    handle: (h) => {
      handler = h;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** S3's XML error document. */
export function s3ErrorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>TEST</RequestId></Error>`;
}
