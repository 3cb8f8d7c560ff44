/**
 * A remote in an S3 bucket (`s3://bucket/prefix`), through the AWS SDK for JavaScript v3. The endpoint is
 * configurable (AWS, MinIO, Ceph, a local server); credentials come from `.pipeline/config.local.yaml` or the
 * SDK's usual sources (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, profiles). A PutObject is atomic on S3: a
 * key holds the whole object or nothing. Each upload carries its MD5 (Content-MD5), so the server rejects
 * bytes damaged on the way.
 *
 * @module
 */
import {
  GetObjectCommand,
  ListObjectsCommand,
  type ListObjectsCommandOutput,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { createMD5 } from "hash-wasm";
import type { RemoteConfig } from "../config.ts";
import { type Remote, RemoteError } from "./remote.ts";

/** Objects up to this size are downloaded into memory and written at once; larger ones are streamed. */
const IN_MEMORY_BYTES = 16 << 20;

/**
 * An S3 remote.
 *
 * @example
 * ```ts
 * const remote = S3Remote.open({ name: "lab", url: "s3://results/run", endpoint: "http://127.0.0.1:4568" });
 * const keys = await remote.list("objects/");
 * ```
 */
export class S3Remote implements Remote {
  readonly url: string;
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;

  private constructor(url: string, client: S3Client, bucket: string, prefix: string) {
    this.url = url;
    this.#client = client;
    this.#bucket = bucket;
    this.#prefix = prefix;
  }

  /** Open the remote `config` describes (no request is made until the first call). */
  static open(config: RemoteConfig): S3Remote {
    const m = config.url.match(/^s3:\/\/([^/]+)\/?(.*)$/);
    if (!m) throw new RemoteError(`remote '${config.name}': '${config.url}' is not s3://bucket/prefix`);
    const prefix = m[2].replace(/\/+$/, "");
    const credentials = config.access_key_id && config.secret_access_key
      ? {
        accessKeyId: config.access_key_id,
        secretAccessKey: config.secret_access_key,
        sessionToken: config.session_token,
      }
      : undefined;
    const client = new S3Client({
      region: config.region ?? Deno.env.get("AWS_REGION") ?? "us-east-1",
      ...(config.endpoint ? { endpoint: config.endpoint, forcePathStyle: true } : {}),
      ...(credentials ? { credentials } : {}),
      maxAttempts: 3,
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    });
    return new S3Remote(config.url, client, m[1], prefix ? `${prefix}/` : "");
  }

  /**
   * Listed with ListObjects (v1) paged by marker: every S3 implementation has it, and s3rver under Deno cannot
   * make ListObjectsV2 continuation tokens (they use the DES cipher, which Deno's node:crypto lacks), so a v2
   * listing of more than 1,000 keys fails there.
   */
  async list(prefix: string): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    let marker: string | undefined;
    for (;;) {
      const page: ListObjectsCommandOutput = await this.#call(
        `list ${prefix}`,
        () =>
          this.#client.send(
            new ListObjectsCommand({ Bucket: this.#bucket, Prefix: this.#prefix + prefix, Marker: marker }),
          ),
      );
      const contents = page.Contents ?? [];
      for (const o of contents) if (o.Key) out.set(o.Key.slice(this.#prefix.length), o.Size ?? -1);
      if (!page.IsTruncated || contents.length === 0) return out;
      marker = contents[contents.length - 1].Key;
    }
  }

  async upload(path: string, key: string): Promise<void> {
    const body = await Deno.readFile(path);
    const md5 = (await createMD5()).init().update(body).digest("binary");
    await this.#call(`write ${key}`, () =>
      this.#client.send(
        new PutObjectCommand({
          Bucket: this.#bucket,
          Key: this.#prefix + key,
          Body: body,
          ContentLength: body.length,
          ContentMD5: btoa(String.fromCharCode(...md5)),
        }),
      ));
  }

  async download(key: string, path: string): Promise<void> {
    const res = await this.#call(
      `read ${key}`,
      () => this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: this.#prefix + key })),
    );
    if (!res.Body) throw new RemoteError(`remote ${this.url}: ${key} has no body`);
    if ((res.ContentLength ?? Infinity) <= IN_MEMORY_BYTES) {
      await Deno.writeFile(path, await res.Body.transformToByteArray());
      return;
    }
    using file = await Deno.open(path, { write: true, create: true, truncate: true });
    for await (const chunk of res.Body.transformToWebStream()) {
      for (let at = 0; at < chunk.length;) at += await file.write(chunk.subarray(at));
    }
  }

  close(): Promise<void> {
    this.#client.destroy();
    return Promise.resolve();
  }

  async #call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw new RemoteError(`remote ${this.url}: cannot ${what}: ${explainS3Error(e)}`);
    }
  }
}

function explainS3Error(e: unknown): string {
  const err = e as Error & { code?: string; cause?: { code?: string } };
  const name = err.name;
  if (
    ["InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "CredentialsProviderError"].includes(name)
  ) {
    return `${name}: the credentials were refused or are missing; set access_key_id and secret_access_key for ` +
      `this remote in .pipeline/config.local.yaml, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`;
  }
  if (name === "NoSuchBucket") return `NoSuchBucket: the bucket does not exist; create it or fix the URL`;
  const code = err.code ?? err.cause?.code;
  if (code && /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|ECONNRESET/.test(code)) {
    return `${code}: the endpoint cannot be reached; check 'endpoint' for this remote and that the server is up`;
  }
  if (e instanceof S3ServiceException) return `${name}: ${err.message}`;
  return `${name}: ${err.message}${code ? ` (${code})` : ""}`;
}
