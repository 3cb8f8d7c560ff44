/**
 * IDX files, the format of MNIST and Fashion-MNIST (`train-images-idx3-ubyte[.gz]` and friends), gzipped or not.
 *
 * An IDX file is: two zero bytes, a type byte (0x08 = unsigned byte), a dimension count d, d big-endian uint32
 * sizes, then the data in row-major order. See http://yann.lecun.com/exdb/mnist/.
 *
 * @module
 */
import { gunzipSync } from "node:zlib";
import { checkLabels, type Dataset } from "./dataset.ts";

/** A decoded IDX array of unsigned bytes. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** A file's bytes with the name used in error messages. */
export interface NamedBytes {
  file: string;
  bytes: Uint8Array;
}

const TYPE_NAMES: Record<number, string> = {
  0x09: "signed byte",
  0x0b: "int16",
  0x0c: "int32",
  0x0d: "float32",
  0x0e: "float64",
};

/**
 * `bytes` decompressed if they start with the gzip magic (1f 8b), else unchanged. A corrupt or truncated gzip
 * stream throws an error naming `file`.
 */
export function gunzipIfNeeded(bytes: Uint8Array, file: string): Uint8Array {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  try {
    const out = gunzipSync(bytes);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (e) {
    throw new Error(
      `${file}: gzip data is corrupt or truncated (${(e as Error).message}); fetch the file again`,
    );
  }
}

/**
 * Parses an unsigned-byte IDX file (gzipped or not). Checks the magic number, the type, and that the byte length
 * is exactly the header plus the product of the dimensions.
 *
 * @example
 * ```ts
 * const { dims, data } = parseIdx(await Deno.readFile(path), path); // dims = [60000, 28, 28]
 * ```
 */
export function parseIdx(raw: Uint8Array, file: string): IdxArray {
  const bytes = gunzipIfNeeded(raw, file);
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    const got = [...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, "0")).join(" ");
    throw new Error(
      `${file}: not an IDX file (expected magic bytes 00 00 08 <ndims>, got ${got || "nothing"})`,
    );
  }
  const type = bytes[2];
  if (type !== 0x08) {
    const name = TYPE_NAMES[type] ?? `unknown type 0x${type.toString(16)}`;
    throw new Error(`${file}: IDX data type is ${name}; only unsigned byte (0x08) is supported`);
  }
  const ndims = bytes[3];
  const header = 4 + 4 * ndims;
  if (ndims === 0) throw new Error(`${file}: IDX header declares 0 dimensions`);
  if (bytes.length < header) {
    throw new Error(`${file}: truncated IDX header (${bytes.length} bytes, expected at least ${header})`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: ndims }, (_, i) => view.getUint32(4 + 4 * i, false));
  const expected = header + dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== expected) {
    const what = bytes.length < expected ? "truncated" : "has trailing bytes";
    throw new Error(
      `${file}: IDX file ${what}: dims ${dims.join("x")} need ${expected} bytes, file has ${bytes.length}`,
    );
  }
  return { dims, data: bytes.subarray(header) };
}

/**
 * A dataset from an IDX images file (N×H×W) and an IDX labels file (N). Images get one channel.
 *
 * @example
 * ```ts
 * const train = idxDataset(
 *   { file: "train-images-idx3-ubyte.gz", bytes: imagesBytes },
 *   { file: "train-labels-idx1-ubyte.gz", bytes: labelsBytes },
 *   FASHION_MNIST_CLASSES,
 * );
 * ```
 */
export function idxDataset(images: NamedBytes, labels: NamedBytes, classes: string[]): Dataset {
  const img = parseIdx(images.bytes, images.file);
  const lab = parseIdx(labels.bytes, labels.file);
  if (img.dims.length !== 3) {
    throw new Error(
      `${images.file}: expected 3 IDX dimensions (N×H×W) for images, got ${img.dims.join("x")}`,
    );
  }
  if (lab.dims.length !== 1) {
    throw new Error(`${labels.file}: expected 1 IDX dimension (N) for labels, got ${lab.dims.join("x")}`);
  }
  if (img.dims[0] !== lab.dims[0]) {
    throw new Error(
      `${images.file} has ${img.dims[0]} images but ${labels.file} has ${
        lab.dims[0]
      } labels; they must match`,
    );
  }
  checkLabels(lab.data, classes.length, labels.file);
  return { images: img.data, labels: lab.data, shape: [img.dims[1], img.dims[2], 1], classes };
}
