/**
 * NumPy `.npy` files (docs/method.md §4.7.2): magic `\x93NUMPY`, version bytes, header length (uint16 LE for
 * v1, uint32 LE for v2/v3), an ASCII dict header `{'descr': …, 'fortran_order': …, 'shape': (…), }`, then
 * C-order data. The reader takes a row range without loading the whole file, so one severity block of a
 * 146 MiB CIFAR-10-C array costs 30 MiB; the writer makes the v1.0 header that NumPy itself writes.
 *
 * @module
 */

/** Parsed header of a `.npy` file. */
export interface NpyHeader {
  /** NumPy dtype string, e.g. `|u1`, `<i8`. */
  descr: string;
  shape: number[];
  /** Byte offset of the data. */
  dataOffset: number;
  /** Bytes per element. */
  itemSize: number;
}

const SUPPORTED: Record<string, number> = {
  "|u1": 1,
  "|i1": 1,
  "<u2": 2,
  "<i2": 2,
  "<u4": 4,
  "<i4": 4,
  "<i8": 8,
  "<u8": 8,
  "<f4": 4,
  "<f8": 8,
};

/** Parses the header at the start of `bytes` (at least the first 12 bytes + header). `file` is for messages. */
export function parseNpyHeader(bytes: Uint8Array, file: string): NpyHeader {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || !magic.every((b, i) => bytes[i] === b)) {
    throw new Error(`${file}: not a .npy file (bad magic bytes)`);
  }
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [len, start] = major === 1 ? [view.getUint16(8, true), 10] : [view.getUint32(8, true), 12];
  if (major < 1 || major > 3) throw new Error(`${file}: unsupported .npy version ${major}`);
  if (bytes.length < start + len) throw new Error(`${file}: truncated .npy header`);
  const text = new TextDecoder("latin1").decode(bytes.subarray(start, start + len));
  const descr = /'descr':\s*'([^']+)'/.exec(text)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new Error(`${file}: malformed .npy header ${JSON.stringify(text.trim())}`);
  }
  if (fortran === "True") throw new Error(`${file}: Fortran-order arrays are not supported`);
  const itemSize = SUPPORTED[descr.replace("=", "<")];
  if (itemSize === undefined) {
    throw new Error(
      `${file}: unsupported dtype '${descr}' (supported: ${Object.keys(SUPPORTED).join(", ")})`,
    );
  }
  const shape = shapeText.split(",").map((s) => s.trim()).filter((s) => s !== "").map(Number);
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new Error(`${file}: bad shape (${shapeText})`);
  }
  return { descr: descr.replace("=", "<"), shape, dataOffset: start + len, itemSize };
}

/**
 * The v1.0 header of a C-order array of dtype `descr` and `shape`, padded with spaces to a multiple of 64
 * bytes as NumPy pads it; the data follows it directly.
 *
 * @example
 * const header = encodeNpyHeader("|u1", [5 * 100, 28, 28, 1]);
 */
export function encodeNpyHeader(descr: string, shape: readonly number[]): Uint8Array {
  if (SUPPORTED[descr] === undefined) throw new Error(`encodeNpyHeader: unsupported dtype '${descr}'`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const text = dict + " ".repeat(63 - ((10 + dict.length) % 64)) + "\n";
  const out = new Uint8Array(10 + text.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, text.length, true);
  out.set(new TextEncoder().encode(text), 10);
  return out;
}

/** Elements per row (product of all axes but the first). */
function rowSize(shape: number[]): number {
  return shape.slice(1).reduce((a, b) => a * b, 1);
}

/** Converts raw little-endian data of dtype `descr` to plain numbers. */
function toNumbers(raw: Uint8Array, descr: string): ArrayLike<number> {
  const buf = raw.slice().buffer;
  switch (descr) {
    case "|u1":
      return new Uint8Array(buf);
    case "|i1":
      return new Int8Array(buf);
    case "<u2":
      return new Uint16Array(buf);
    case "<i2":
      return new Int16Array(buf);
    case "<u4":
      return new Uint32Array(buf);
    case "<i4":
      return new Int32Array(buf);
    case "<i8":
      return Array.from(new BigInt64Array(buf), Number);
    case "<u8":
      return Array.from(new BigUint64Array(buf), Number);
    case "<f4":
      return new Float32Array(buf);
    default:
      return new Float64Array(buf);
  }
}

/** Rows [start, start+count) of a `.npy` file. */
export interface NpyRows {
  header: NpyHeader;
  /** The raw bytes (for `|u1` arrays: the values themselves). */
  raw: Uint8Array;
  /** The values as numbers. */
  values: ArrayLike<number>;
}

/**
 * Reads rows [start, start + count) (first axis) of the `.npy` file at `path`; count defaults to the rest.
 *
 * @example
 * const { header, raw } = await readNpyRows("CIFAR-10-C/fog.npy", 20000, 10000); // severity 3
 */
export async function readNpyRows(path: string, start = 0, count?: number): Promise<NpyRows> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch {
    throw new Error(`${path}: cannot open (missing?)`);
  }
  try {
    const head = new Uint8Array(4096);
    const got = (await file.read(head)) ?? 0;
    const header = parseNpyHeader(head.subarray(0, got), path);
    const rows = header.shape[0] ?? 1;
    const n = count ?? rows - start;
    if (start < 0 || n < 0 || start + n > rows) {
      throw new Error(`${path}: rows ${start}..${start + n} requested, the array has ${rows}`);
    }
    const rowBytes = rowSize(header.shape) * header.itemSize;
    const raw = new Uint8Array(n * rowBytes);
    await file.seek(header.dataOffset + start * rowBytes, Deno.SeekMode.Start);
    let off = 0;
    while (off < raw.length) {
      const r = await file.read(raw.subarray(off));
      if (r === null) {
        throw new Error(`${path}: truncated data (expected ${raw.length} bytes from row ${start})`);
      }
      off += r;
    }
    return { header, raw, values: toNumbers(raw, header.descr) };
  } finally {
    file.close();
  }
}
