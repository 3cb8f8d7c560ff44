/**
 * Facts about the supported datasets: names, class names, file names, where Fashion-MNIST is found, and its
 * pinned checksums.
 *
 * @module
 */

/** Dataset names accepted by `prepare-data` (`data.name`). */
export const DATASET_NAMES = ["fashion-mnist", "mnist", "cifar10", "tiny-imagenet", "synthetic"] as const;
/** One of {@link DATASET_NAMES}. */
export type DatasetName = typeof DATASET_NAMES[number];

/** Fashion-MNIST class names, by label (from the dataset's README). */
export const FASHION_MNIST_CLASSES = [
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
];

/** MNIST class names: the digits. */
export const MNIST_CLASSES = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

/** The four IDX files of MNIST and Fashion-MNIST (each may also be present with a `.gz` suffix). */
export const IDX_FILES = {
  trainImages: "train-images-idx3-ubyte",
  trainLabels: "train-labels-idx1-ubyte",
  testImages: "t10k-images-idx3-ubyte",
  testLabels: "t10k-labels-idx1-ubyte",
} as const;

/** Where Debian's package `dataset-fashion-mnist` installs the four `.gz` files. */
export const DEBIAN_FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";
/** Debian package that provides Fashion-MNIST. */
export const DEBIAN_FASHION_MNIST_PACKAGE = "dataset-fashion-mnist";
/** Public download location of Fashion-MNIST (Zalando's README); files are `<base><IDX name>.gz`. */
export const FASHION_MNIST_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/";

/**
 * Pinned SHA-256 of each Fashion-MNIST file's **gunzipped** content, by IDX name. Pinned on content rather than
 * on the `.gz` bytes because repackagers recompress (Debian's `.gz` files differ from upstream's, same content).
 * Computed from Debian's dataset-fashion-mnist 0.0~git20200523.55506a9-1.
 */
export const FASHION_MNIST_SHA256: Record<string, string> = {
  [IDX_FILES.trainImages]: "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
  [IDX_FILES.trainLabels]: "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
  [IDX_FILES.testImages]: "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
  [IDX_FILES.testLabels]: "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
};
