/**
 * Reading raw datasets from disk: finds the files of each supported layout, parses them with the pure parsers
 * (`idx.ts`, `cifar10.ts`, `tiny_imagenet.ts`) and records the SHA-256 of every source file it reads.
 *
 * A {@link Source} gives the labels of each split up front and reads images on demand, so a capped run
 * (`limit_train`, `limit_test`) decodes only the images it keeps — this matters for Tiny ImageNet's 110,000
 * JPEGs.
 *
 * @module
 */
import { join } from "node:path";
import {
  DEBIAN_FASHION_MNIST_DIR,
  DEBIAN_FASHION_MNIST_PACKAGE,
  FASHION_MNIST_SHA256,
  FASHION_MNIST_URL,
  IDX_FILES,
} from "./catalog.ts";
import {
  CIFAR10_SHAPE,
  CIFAR10_TEST_FILE,
  CIFAR10_TRAIN_FILES,
  parseCifar10Batch,
  parseCifar10Meta,
} from "./cifar10.ts";
import {
  checkLabels,
  concatRows,
  type ImageShape,
  imageSize,
  type LabelledImages,
  takeRows,
} from "./dataset.ts";
import { sha256Hex } from "./digest.ts";
import { downloadVerified } from "./download.ts";
import { gunzipIfNeeded, idxDataset } from "./idx.ts";
import {
  classNames,
  decodeJpegRgb,
  parseValAnnotations,
  parseWnids,
  parseWords,
  TINY_IMAGENET_SHAPE,
} from "./tiny_imagenet.ts";

/** One split of a source: all labels now, images for chosen indices on request. */
export interface SourceSplit {
  labels: Uint8Array;
  /** The images and labels at `indices` (ascending or not), decoded. */
  read(indices: Uint32Array): Promise<LabelledImages>;
}

/** A raw dataset with a train and a test split. */
export interface Source {
  classes: string[];
  shape: ImageShape;
  train: SourceSplit;
  test: SourceSplit;
  /** SHA-256 of every source file read so far, by path relative to the dataset folder. Grows as images are read. */
  digests: Map<string, string>;
}

/** A split that is already in memory. */
export function memorySplit(data: LabelledImages): SourceSplit {
  return { labels: data.labels, read: (indices) => Promise.resolve(takeRows(data, indices)) };
}

async function readFileNamed(path: string, what: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new Error(`${path} not found (${what})`);
    throw e;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** Path of `<dir>/<name>.gz` or `<dir>/<name>`, whichever exists, else null. */
async function findIdx(dir: string, name: string): Promise<string | null> {
  for (const candidate of [join(dir, `${name}.gz`), join(dir, name)]) {
    if (await exists(candidate)) return candidate;
  }
  return null;
}

/** True when `dir` holds all four IDX files (gzipped or not). */
export async function hasIdxFiles(dir: string): Promise<boolean> {
  for (const name of Object.values(IDX_FILES)) if (await findIdx(dir, name) === null) return false;
  return true;
}

/**
 * Reads MNIST-layout IDX files from `dir`. Digests are of the gunzipped content, keyed by IDX name, so a
 * recompressed copy gives the same digest. With `pinned`, each file's content must match its pinned SHA-256.
 */
export async function loadIdxSource(
  dir: string,
  classes: string[],
  pinned?: Record<string, string>,
): Promise<Source> {
  const digests = new Map<string, string>();
  const read = async (name: string) => {
    const path = await findIdx(dir, name);
    if (path === null) {
      throw new Error(`${join(dir, name)}[.gz] not found: ${dir} must hold the four IDX files`);
    }
    const bytes = gunzipIfNeeded(await Deno.readFile(path), path);
    const sha = await sha256Hex(bytes);
    if (pinned && pinned[name] !== sha) {
      throw new Error(
        `${path}: content sha256 ${sha} does not match the pinned ${
          pinned[name]
        }; the file is corrupt or a ` +
          `different dataset`,
      );
    }
    digests.set(name, sha);
    return { file: path, bytes };
  };
  const train = idxDataset(await read(IDX_FILES.trainImages), await read(IDX_FILES.trainLabels), classes);
  const test = idxDataset(await read(IDX_FILES.testImages), await read(IDX_FILES.testLabels), classes);
  if (train.shape.join("x") !== test.shape.join("x")) {
    throw new Error(
      `${dir}: train images are ${train.shape.join("x")} but test images ${test.shape.join("x")}`,
    );
  }
  return { classes, shape: train.shape, train: memorySplit(train), test: memorySplit(test), digests };
}

/** Where to look for Fashion-MNIST; every field has a default, tests override them. */
export interface FashionMnistLookup {
  /** `data.dir`: used if given, and then it must hold the files. */
  dir?: string;
  /** Debian's install folder. */
  debianDir?: string;
  /** Folder where downloads are kept (and looked for first, from an earlier run). */
  cacheDir: string;
  /** Base URL of the four `.gz` files. */
  baseUrl?: string;
}

/**
 * The folder holding Fashion-MNIST: `dir` if given; else Debian's folder; else a previous download in
 * `cacheDir`; else a fresh download into `cacheDir`, each file checked against its pinned checksum. Fails with
 * a message that says how to provide the data.
 */
export async function locateFashionMnist(
  lookup: FashionMnistLookup,
): Promise<{ dir: string; origin: string }> {
  const { dir, debianDir = DEBIAN_FASHION_MNIST_DIR, cacheDir, baseUrl = FASHION_MNIST_URL } = lookup;
  if (dir !== undefined) {
    if (!(await hasIdxFiles(dir))) {
      throw new Error(
        `data.dir ${dir} does not hold the four Fashion-MNIST IDX files (${Object.values(IDX_FILES)})`,
      );
    }
    return { dir, origin: "data.dir" };
  }
  if (await hasIdxFiles(debianDir)) {
    return { dir: debianDir, origin: `Debian package ${DEBIAN_FASHION_MNIST_PACKAGE}` };
  }
  if (await hasIdxFiles(cacheDir)) return { dir: cacheDir, origin: "earlier download" };
  try {
    await Deno.mkdir(cacheDir, { recursive: true });
    for (const name of Object.values(IDX_FILES)) {
      await downloadVerified(
        `${baseUrl}${name}.gz`,
        join(cacheDir, `${name}.gz`),
        FASHION_MNIST_SHA256[name],
        "gunzipped",
      );
    }
  } catch (e) {
    throw new Error(
      `Fashion-MNIST not found and could not be downloaded (${
        (e as Error).message
      }). Provide it one of these ` +
        `ways: apt-get install ${DEBIAN_FASHION_MNIST_PACKAGE} (installs ${debianDir}); or set data.dir to a ` +
        `folder with ${
          Object.values(IDX_FILES).map((n) => `${n}.gz`).join(", ")
        }; or allow access to ${baseUrl}`,
    );
  }
  return { dir: cacheDir, origin: `download from ${baseUrl}` };
}

/** Reads the CIFAR-10 binary release (`cifar-10-batches-bin/`): five train batches, the test batch, class names. */
export async function loadCifar10(dir: string): Promise<Source> {
  const digests = new Map<string, string>();
  const read = async (name: string) => {
    const bytes = await readFileNamed(
      join(dir, name),
      "part of the CIFAR-10 binary release, cifar-10-batches-bin/",
    );
    digests.set(name, await sha256Hex(bytes));
    return bytes;
  };
  const classes = parseCifar10Meta(
    new TextDecoder().decode(await read("batches.meta.txt")),
    join(dir, "batches.meta.txt"),
  );
  const train: LabelledImages[] = [];
  for (const f of CIFAR10_TRAIN_FILES) train.push(parseCifar10Batch(await read(f), join(dir, f)));
  const test = parseCifar10Batch(await read(CIFAR10_TEST_FILE), join(dir, CIFAR10_TEST_FILE));
  return {
    classes,
    shape: CIFAR10_SHAPE,
    train: memorySplit(concatRows(train)),
    test: memorySplit(test),
    digests,
  };
}

async function sortedJpegs(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) if (e.isFile && /\.jpe?g$/i.test(e.name)) names.push(e.name);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new Error(`${dir} not found (Tiny ImageNet image folder)`);
    throw e;
  }
  return names.sort();
}

/**
 * Reads the Tiny ImageNet folder (`tiny-imagenet-200/`). Labels follow the order of `wnids.txt`; train images
 * are `train/<wnid>/images/*.JPEG` in name order, and the labelled `val/` set is the test split (the official
 * test set has no labels). JPEGs are decoded only when read.
 */
export async function loadTinyImagenet(dir: string): Promise<Source> {
  const digests = new Map<string, string>();
  const text = async (rel: string) => {
    const bytes = await readFileNamed(join(dir, rel), "part of the Tiny ImageNet layout, tiny-imagenet-200/");
    digests.set(rel, await sha256Hex(bytes));
    return new TextDecoder().decode(bytes);
  };
  const wnids = parseWnids(await text("wnids.txt"), join(dir, "wnids.txt"));
  const classes = classNames(wnids, parseWords(await text("words.txt"), join(dir, "words.txt")));
  const label = new Map(wnids.map((w, i) => [w, i]));

  const trainFiles: string[] = [];
  const trainLabels: number[] = [];
  for (const [i, w] of wnids.entries()) {
    for (const name of await sortedJpegs(join(dir, "train", w, "images"))) {
      trainFiles.push(join("train", w, "images", name));
      trainLabels.push(i);
    }
  }
  const annotationsPath = join("val", "val_annotations.txt");
  const annotations = parseValAnnotations(await text(annotationsPath), join(dir, annotationsPath));
  const testFiles: string[] = [];
  const testLabels: number[] = [];
  for (const name of await sortedJpegs(join(dir, "val", "images"))) {
    const w = annotations.get(name);
    const l = w === undefined ? undefined : label.get(w);
    if (l === undefined) {
      throw new Error(
        `${join(dir, annotationsPath)}: no known class for val image ${name} (wnid ${w ?? "missing"})`,
      );
    }
    testFiles.push(join("val", "images", name));
    testLabels.push(l);
  }

  const split = (files: string[], labelList: number[]): SourceSplit => {
    const labels = Uint8Array.from(labelList);
    checkLabels(labels, classes.length, dir);
    return {
      labels,
      async read(indices) {
        const [h, w] = TINY_IMAGENET_SHAPE;
        const size = imageSize(TINY_IMAGENET_SHAPE);
        const images = new Uint8Array(indices.length * size);
        for (let k = 0; k < indices.length; k++) {
          const rel = files[indices[k]];
          const bytes = await Deno.readFile(join(dir, rel));
          digests.set(rel, await sha256Hex(bytes));
          images.set(decodeJpegRgb(bytes, join(dir, rel), h, w), k * size);
        }
        return { images, labels: Uint8Array.from(indices, (i) => labels[i]), shape: TINY_IMAGENET_SHAPE };
      },
    };
  };
  return {
    classes,
    shape: TINY_IMAGENET_SHAPE,
    train: split(trainFiles, trainLabels),
    test: split(testFiles, testLabels),
    digests,
  };
}
