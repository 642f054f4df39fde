import { request } from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startLocalStore, type LocalStore } from "../../src/local-store/index.js";
import { parseS3Error } from "./support/openapi-contract.js";
import { referencePresign } from "./support/sigv4-reference.js";
import { call, confirm, createUpload, fetchChecked, putBytes, randomBlob, uploadReady } from "./support/store-client.js";

let store: LocalStore;
let clock = Date.now();
beforeAll(async () => {
  store = await startLocalStore({ artifactLimit: null, now: () => clock });
});
beforeEach(() => {
  clock = Date.now();
});
afterAll(() => store.close());

const s3Code = (text: string): string | undefined => parseS3Error(text).Code;

/** Replace one query parameter of a URL. */
const withParam = (url: string, name: string, value: string): string => {
  const u = new URL(url);
  u.searchParams.set(name, value);
  return u.toString();
};

/** The store's storage secret, read from its data directory (only tests do this). */
const storageSecret = (): string => (JSON.parse(readFileSync(join(store.dataDir, "keys.json"), "utf8")) as { storage_secret: string }).storage_secret;

describe("SigV4 compatibility", () => {
  it("the reference presigner reproduces the AWS documentation's example signature", () => {
    const url = referencePresign({
      method: "GET",
      url: "https://examplebucket.s3.amazonaws.com/test.txt",
      accessKeyId: "AKIAIOSFODNN7EXAMPLE",
      secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      region: "us-east-1",
      amzDate: "20130524T000000Z",
      expires: 86400,
    });
    expect(new URL(url).searchParams.get("X-Amz-Signature")).toBe("aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
  });

  it("issues PUT URLs whose signature an independent SigV4 implementation reproduces", async () => {
    const data = randomBlob(123);
    const up = await createUpload(store, store.apiKey, data);
    const issued = new URL(up.url);
    const q = issued.searchParams;
    const again = referencePresign({
      method: "PUT",
      url: `${store.url}${issued.pathname}`,
      accessKeyId: q.get("X-Amz-Credential")!.split("/")[0]!,
      secretAccessKey: storageSecret(),
      region: q.get("X-Amz-Credential")!.split("/")[2]!,
      amzDate: q.get("X-Amz-Date")!,
      expires: Number(q.get("X-Amz-Expires")),
      headers: { "content-length": String(data.length) },
    });
    expect(new URL(again).searchParams.get("X-Amz-Signature")).toBe(q.get("X-Amz-Signature"));
  });

  it("accepts a GET URL signed by the independent implementation, and refuses one signed with another secret", async () => {
    const data = randomBlob(77);
    const ready = await uploadReady(store, store.apiKey, data);
    const amzDate = new Date(clock).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
    const sign = (secretAccessKey: string): string =>
      referencePresign({ method: "GET", url: `${store.url}/storage/${ready.id}`, accessKeyId: "KVCDNLOCALSTORE", secretAccessKey, region: "us-east-1", amzDate, expires: 60 });
    const good = await fetch(sign(storageSecret()));
    expect(good.status).toBe(200);
    expect(Buffer.from(await good.arrayBuffer()).equals(data)).toBe(true);
    const bad = await fetchChecked(sign("0".repeat(64)));
    expect(bad.status).toBe(403);
    expect(s3Code(bad.text)).toBe("SignatureDoesNotMatch");
  });
});

describe("expiry (injected clock)", () => {
  it("accepts a PUT just before 15 minutes and answers 403 'Request has expired' after", async () => {
    const a = randomBlob(10);
    const early = await createUpload(store, store.apiKey, a);
    clock += 14 * 60 * 1000 + 59_000;
    expect((await putBytes(early.url, a)).status).toBe(200);

    clock = Date.now();
    const late = await createUpload(store, store.apiKey, a);
    expect(new URL(late.url).searchParams.get("X-Amz-Expires")).toBe("900");
    clock += 15 * 60 * 1000 + 1000;
    const reply = await putBytes(late.url, a);
    expect(reply.status).toBe(403);
    expect(parseS3Error(reply.text)).toMatchObject({ Code: "AccessDenied", Message: "Request has expired" });
  });

  it("expires download URLs too", async () => {
    const ready = await uploadReady(store, store.apiKey, randomBlob(10));
    const dl = await call(store, "POST", `/api/v1/artifacts/${ready.id}/download-url`, { key: store.apiKey });
    clock += 16 * 60 * 1000;
    const reply = await fetchChecked(dl.body.download_url);
    expect(reply.status).toBe(403);
    expect(parseS3Error(reply.text).Message).toBe("Request has expired");
  });

  it("signs with the configured lifetime", async () => {
    const short = await startLocalStore({ presignTtlMs: 60_000 });
    try {
      const up = await createUpload(short, short.apiKey, randomBlob(1));
      expect(new URL(up.url).searchParams.get("X-Amz-Expires")).toBe("60");
    } finally {
      await short.close();
    }
  });
});

describe("single use", () => {
  it("refuses a second PUT to the same URL with 403 AccessDenied and keeps the first bytes", async () => {
    const data = randomBlob(500);
    const up = await createUpload(store, store.apiKey, data);
    expect((await putBytes(up.url, data)).status).toBe(200);
    const second = await putBytes(up.url, randomBlob(500));
    expect(second.status).toBe(403);
    expect(s3Code(second.text)).toBe("AccessDenied");
    expect((await confirm(store, store.apiKey, up.artifact_id, data)).body.status).toBe("ready");
  });

  it("lets a download URL be used many times", async () => {
    const ready = await uploadReady(store, store.apiKey, randomBlob(20));
    const dl = await call(store, "POST", `/api/v1/artifacts/${ready.id}/download-url`, { key: store.apiKey });
    for (let i = 0; i < 3; i++) expect((await fetch(dl.body.download_url)).status).toBe(200);
  });
});

describe("tampering", () => {
  it("answers 403 SignatureDoesNotMatch to a changed signature, path, expiry, date, scope or header list", async () => {
    const data = randomBlob(64);
    const up = await createUpload(store, store.apiKey, data);
    const other = await createUpload(store, store.apiKey, data);
    const sig = new URL(up.url).searchParams.get("X-Amz-Signature")!;
    const flipped = `${sig.slice(0, 10)}${sig[10] === "0" ? "1" : "0"}${sig.slice(11)}`;
    const tampered = [
      withParam(up.url, "X-Amz-Signature", flipped),
      up.url.replace(up.artifact_id, other.artifact_id),
      withParam(up.url, "X-Amz-Expires", "3600"),
      withParam(up.url, "X-Amz-Date", new URL(up.url).searchParams.get("X-Amz-Date")!.replace(/\d(Z)$/, (d) => (d[0] === "1" ? "2Z" : "1Z"))),
      withParam(up.url, "X-Amz-Credential", new URL(up.url).searchParams.get("X-Amz-Credential")!.replace("us-east-1", "eu-west-1")),
      withParam(up.url, "X-Amz-SignedHeaders", "host"),
      `${up.url}&extra=1`,
    ];
    for (const url of tampered) {
      const reply = await putBytes(url, data);
      expect(reply.status, url).toBe(403);
      expect(s3Code(reply.text), url).toBe("SignatureDoesNotMatch");
    }
    // None of them used up the URL.
    expect((await putBytes(up.url, data)).status).toBe(200);
  });

  it("refuses a PUT URL used for GET and a URL reached through another host name", async () => {
    const data = randomBlob(64);
    const up = await createUpload(store, store.apiKey, data);
    await putBytes(up.url, data);
    await confirm(store, store.apiKey, up.artifact_id, data);
    expect(s3Code((await fetchChecked(up.url)).text)).toBe("SignatureDoesNotMatch");
    const dl = await call(store, "POST", `/api/v1/artifacts/${up.artifact_id}/download-url`, { key: store.apiKey });
    const viaLocalhost = await fetchChecked(dl.body.download_url.replace("127.0.0.1", "localhost"));
    expect(s3Code(viaLocalhost.text)).toBe("SignatureDoesNotMatch");
  });

  it("answers 400 AuthorizationQueryParametersError when parameters are missing, 403 when there are none", async () => {
    const up = await createUpload(store, store.apiKey, randomBlob(4));
    const u = new URL(up.url);
    u.searchParams.delete("X-Amz-Date");
    const missing = await putBytes(u.toString(), randomBlob(4));
    expect(missing.status).toBe(400);
    expect(s3Code(missing.text)).toBe("AuthorizationQueryParametersError");
    const bare = await putBytes(`${store.url}${new URL(up.url).pathname}`, randomBlob(4));
    expect(bare.status).toBe(403);
    expect(s3Code(bare.text)).toBe("AccessDenied");
  });
});

describe("one auth mechanism", () => {
  it("rejects an Authorization header on a presigned PUT or GET with 400 InvalidArgument", async () => {
    const data = randomBlob(32);
    const up = await createUpload(store, store.apiKey, data);
    const put = await putBytes(up.url, data, { authorization: `Bearer ${store.apiKey}` });
    expect(put.status).toBe(400);
    expect(parseS3Error(put.text)).toMatchObject({ Code: "InvalidArgument", ArgumentName: "Authorization" });
    expect(put.text).not.toContain(store.apiKey);
    expect((await putBytes(up.url, data)).status).toBe(200);
    await confirm(store, store.apiKey, up.artifact_id, data);
    const dl = await call(store, "POST", `/api/v1/artifacts/${up.artifact_id}/download-url`, { key: store.apiKey });
    const get = await fetchChecked(dl.body.download_url, { headers: { authorization: `Bearer ${store.apiKey}` } });
    expect(get.status).toBe(400);
    expect(s3Code(get.text)).toBe("InvalidArgument");
  });
});

describe("Content-Length", () => {
  it("must equal the declared size: 400 EntityTooLarge / EntityTooSmall, and the URL stays usable", async () => {
    const data = randomBlob(1000);
    const up = await createUpload(store, store.apiKey, data);
    const larger = await putBytes(up.url, randomBlob(1001));
    expect(larger.status).toBe(400);
    expect(s3Code(larger.text)).toBe("EntityTooLarge");
    const smaller = await putBytes(up.url, randomBlob(999));
    expect(smaller.status).toBe(400);
    expect(s3Code(smaller.text)).toBe("EntityTooSmall");
    expect((await putBytes(up.url, data)).status).toBe(200);
  });

  it("is required: a chunked PUT gets 400 MissingContentLength", async () => {
    const data = randomBlob(100);
    const up = await createUpload(store, store.apiKey, data);
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(up.url, { method: "PUT", headers: { "transfer-encoding": "chunked" } }, (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on("error", reject);
      req.end(data);
    });
    expect(status).toBe(400);
    expect(s3Code(text)).toBe("MissingContentLength");
  });

  it("stores nothing when the client sends fewer bytes than it declared and hangs up", async () => {
    const data = randomBlob(100_000);
    const up = await createUpload(store, store.apiKey, data);
    await new Promise<void>((resolve) => {
      const req = request(up.url, { method: "PUT", headers: { "content-length": String(data.length) } });
      req.on("error", () => resolve());
      req.write(data.subarray(0, 40_000), () => setTimeout(() => req.destroy(), 50));
      req.on("close", () => resolve());
    });
    const reply = await confirm(store, store.apiKey, up.artifact_id, data);
    expect(reply.status).toBe(400);
    expect(reply.body.error).toBe("artifact_data_not_found");
  });
});
