package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/autonl-go/autonl/data"
)

// dataKinds lists the -data values, for messages.
const dataKinds = "embedded, mnist[:DIR], fashion-mnist[:DIR], cifar10:DIR or folder:DIR"

// dataSpec is a parsed -data value.
type dataSpec struct {
	kind string // embedded, mnist, fashion-mnist, cifar10, folder
	dir  string // "" for embedded, and for mnist and fashion-mnist at their default places
}

// parseDataSpec parses a -data value, checking that a directory it names
// exists. Its errors are usage errors naming the flag.
func parseDataSpec(s string) (dataSpec, error) {
	kind, dir, hasDir := strings.Cut(s, ":")
	spec := dataSpec{kind: kind, dir: dir}
	switch kind {
	case "embedded":
		if hasDir {
			return spec, usagef("-data %s: the embedded data takes no directory", s)
		}
		return spec, nil
	case "mnist", "fashion-mnist":
		if hasDir && dir == "" {
			return spec, usagef("-data %s: empty directory after %q", s, kind+":")
		}
	case "cifar10", "folder":
		if dir == "" {
			return spec, usagef("-data %s: missing directory: use -data %s:DIR", s, kind)
		}
	case "":
		return spec, usagef("-data is empty; want %s", dataKinds)
	default:
		return spec, usagef("-data %s: unknown kind %q; want %s", s, kind, dataKinds)
	}
	if dir != "" {
		st, err := os.Stat(dir)
		if err != nil {
			return spec, usagef("-data %s: directory %s does not exist", s, dir)
		}
		if !st.IsDir() {
			return spec, usagef("-data %s: %s is not a directory", s, dir)
		}
	}
	return spec, nil
}

// dataOptions say how much data to use and how to load folders.
type dataOptions struct {
	// TrainSize and TestSize limit the examples used (0: all; for the
	// embedded data, its default sizes).
	TrainSize, TestSize int
	// ImageSize is the side length of the embedded images and the one
	// folder images are resized to (0: the data's default).
	ImageSize int
	// Gray loads folder images as one channel.
	Gray bool
	// Seed selects the held-out test examples of a folder without a
	// test sub-folder, and the subsets of TrainSize and TestSize.
	Seed uint64
}

// Sizes of the embedded data set when not limited.
const (
	embeddedTrain = 40000
	embeddedTest  = 2000
)

// Default side lengths of the embedded images and of folder images.
const (
	embeddedImageSize = 64
	folderImageSize   = 32
)

// imageSizeFor returns the image side length for data of the given kind
// when -size is size: size itself, or the kind's default for 0. The
// embedded data needs at least data.MinSyntheticSize.
func imageSizeFor(kind string, size int) (int, error) {
	switch {
	case size == 0 && kind == "embedded":
		return embeddedImageSize, nil
	case size == 0:
		return folderImageSize, nil
	case kind == "embedded" && size < data.MinSyntheticSize:
		return 0, usagef("-size %d: the embedded images need a side of at least %d pixels", size, data.MinSyntheticSize)
	}
	return size, nil
}

// loadData returns the training and test sets that spec names.
func loadData(spec dataSpec, o dataOptions) (trainSet, testSet data.Dataset, err error) {
	switch spec.kind {
	case "embedded":
		cfg := data.DefaultSyntheticConfig()
		cfg.N = embeddedTrain
		if o.ImageSize > 0 {
			cfg.Size = o.ImageSize
		}
		if o.TrainSize > 0 {
			cfg.N = o.TrainSize
		}
		nTest := embeddedTest
		if o.TestSize > 0 {
			nTest = o.TestSize
		}
		tr, te, err := data.SyntheticSplits(cfg, nTest)
		if err != nil {
			return nil, nil, err
		}
		return tr, te, nil
	case "mnist", "fashion-mnist":
		dir := spec.dir
		if dir == "" {
			if spec.kind == "mnist" {
				dir, err = data.MNISTDir()
			} else {
				dir, err = data.FashionMNISTDir()
			}
			if err != nil {
				return nil, nil, err
			}
		}
		var tr, te *data.Memory
		if spec.kind == "mnist" {
			tr, te, err = data.LoadMNIST(dir)
		} else {
			tr, te, err = data.LoadFashionMNIST(dir)
		}
		if err != nil {
			return nil, nil, err
		}
		trainSet, testSet = tr, te
	case "cifar10":
		tr, te, err := data.LoadCIFAR10(spec.dir)
		if err != nil {
			return nil, nil, err
		}
		trainSet, testSet = tr, te
	case "folder":
		fo := data.FolderConfig{Height: o.ImageSize, Width: o.ImageSize, Gray: o.Gray}
		trainDir, testDir := filepath.Join(spec.dir, "train"), filepath.Join(spec.dir, "test")
		if isDir(trainDir) && isDir(testDir) {
			if trainSet, err = data.LoadFolder(trainDir, fo); err != nil {
				return nil, nil, err
			}
			if testSet, err = data.LoadFolder(testDir, fo); err != nil {
				return nil, nil, err
			}
		} else {
			all, err := data.LoadFolder(spec.dir, fo)
			if err != nil {
				return nil, nil, err
			}
			if all.Len() < 2 {
				return nil, nil, fmt.Errorf("folder %s: %d images; want at least 2 to hold one out for testing", spec.dir, all.Len())
			}
			// Hold out a tenth for testing.
			testSet, trainSet = data.Split(all, max(1, all.Len()/10), o.Seed)
		}
	default:
		return nil, nil, fmt.Errorf("unknown data kind %q", spec.kind)
	}
	if o.TrainSize > 0 && o.TrainSize < trainSet.Len() {
		trainSet, _ = data.Split(trainSet, o.TrainSize, o.Seed)
	}
	if o.TestSize > 0 && o.TestSize < testSet.Len() {
		testSet, _ = data.Split(testSet, o.TestSize, o.Seed)
	}
	return trainSet, testSet, nil
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// augmentFor returns the augmentation -augment asks for on images of
// side size; "auto" picks by data kind: none for the embedded data (whose
// relations a crop could cut), crop for MNIST, crop and flip otherwise.
func augmentFor(mode, kind string, size int) (data.Augment, error) {
	pad := max(1, size/8)
	switch mode {
	case "auto":
		switch kind {
		case "embedded":
			return data.Augment{}, nil
		case "mnist":
			return data.Augment{Pad: pad}, nil
		default:
			return data.Augment{Pad: pad, FlipH: true}, nil
		}
	case "none":
		return data.Augment{}, nil
	case "crop":
		return data.Augment{Pad: pad}, nil
	case "flip":
		return data.Augment{FlipH: true}, nil
	case "crop+flip":
		return data.Augment{Pad: pad, FlipH: true}, nil
	}
	return data.Augment{}, usagef("-augment %s: want auto, none, crop, flip or crop+flip", mode)
}
