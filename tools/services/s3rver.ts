/**
 * A local S3-protocol server for tests and benches: npm `s3rver` on 127.0.0.1, storing under a directory, with
 * one bucket created at start. Prints `port N` once listening. Credentials: S3RVER / S3RVER.
 *
 * ```
 * deno run -A tools/services/s3rver.ts DATA_DIR BUCKET [PORT]
 * ```
 *
 * @module
 */
import S3rver from "s3rver";

const [directory, bucket, port] = Deno.args;
if (!directory || !bucket) {
  console.error("usage: s3rver.ts DATA_DIR BUCKET [PORT]");
  Deno.exit(2);
}
const server = new S3rver({
  port: Number(port ?? 0),
  address: "127.0.0.1",
  directory,
  silent: true,
  configureBuckets: [{ name: bucket, configs: [] }],
});
const info = await server.run();
console.log(`port ${info.port}`);
