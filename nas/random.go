package nas

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"

	"github.com/autonl-go/autonl/data"
	"github.com/autonl-go/autonl/internal/atomicfile"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/nn/optim"
	"github.com/autonl-go/autonl/train"
)

// RandomFile is the file in RandomConfig.OutDir that records the
// candidates of a random search as they finish.
const RandomFile = "random.json"

// RandomConfig configures RandomSearch, the baseline of the search: the
// same space, MACs target, data and training budget, spent on networks
// drawn at random instead of a supernet.
type RandomConfig struct {
	// Space, Target and Tolerance are as in SearchConfig: every candidate
	// costs within Tolerance (0: DefaultTolerance) of Target.
	Space     Space
	Target    int64
	Tolerance float64
	// Train and Val are as in SearchConfig; Val is required, since it
	// picks the winner.
	Train, Val *data.Loader
	// Candidates is the number of networks drawn; Epochs the training
	// budget in epochs of Train, shared equally among them (each trains
	// on Epochs·N/Candidates images of Train).
	Candidates int
	Epochs     float64
	// LR, WeightDecay and LabelSmoothing configure each candidate's
	// training: AdamW, cosine schedule; 0 LR means DefaultLR.
	LR, WeightDecay, LabelSmoothing float64
	// Seed seeds the draws and the candidates' weights.
	Seed uint64
	// OutDir, if set, records each finished candidate (RandomFile), so
	// that a rerun skips them, and receives the winner as ArchFile,
	// ArchJSONFile and ProfileFile, and the space as SpaceFile.
	OutDir string
	// Log receives a line per candidate; Progress the training's bars.
	Log, Progress io.Writer
}

// Candidate is one network of a random search with its validation result.
type Candidate struct {
	Choices []Choice `json:"configs"`
	MACs    int64    `json:"macs"`
	ValAcc  float64  `json:"val_acc"`
	ValLoss float64  `json:"val_loss"`
}

// RandomResult is what RandomSearch returns.
type RandomResult struct {
	// Candidates in the order drawn; Best indexes the winner (highest
	// validation accuracy, then lowest loss).
	Candidates []Candidate
	Best       int
	// Derived is the winner.
	Derived Derived
}

// SampleChoices draws a network of the space uniformly over the gates'
// settings (each gate open or closed with probability 1/2) among those
// whose MACs lie within tol of target, by rejection (up to a million
// draws). It returns an error if none of them does.
func SampleChoices(rng *rand.Rand, n *Supernet, target int64, tol float64) ([]Choice, error) {
	lo, hi := float64(target)*(1-tol), float64(target)*(1+tol)
	bits := make([]uint, len(n.Layers))
	for range 1_000_000 {
		c := n.fixed
		for i, l := range n.Layers {
			bits[i] = uint(rng.IntN(1 << len(l.Gates)))
			c += n.tables[i].macs[bits[i]]
		}
		if float64(c) >= lo && float64(c) <= hi {
			cs := make([]Choice, len(n.Layers))
			for i, l := range n.Layers {
				cs[i] = configOf(l.Spec, bits[i])
			}
			return cs, nil
		}
	}
	return nil, fmt.Errorf("nas: no random network of the space within %.0f%% of %d MACs in a million draws", 100*tol, target)
}

// RandomSearch draws cfg.Candidates networks within the budget
// (SampleChoices), trains each from scratch on its share of the training
// budget and returns the one with the best validation accuracy.
func RandomSearch(ctx context.Context, cfg RandomConfig) (RandomResult, error) {
	switch {
	case cfg.Train == nil || cfg.Val == nil:
		return RandomResult{}, errors.New("nas: RandomSearch: training and validation data are required")
	case cfg.Candidates < 1:
		return RandomResult{}, fmt.Errorf("nas: RandomSearch: %d candidates; want at least 1", cfg.Candidates)
	case !(cfg.Epochs > 0):
		return RandomResult{}, fmt.Errorf("nas: RandomSearch: budget of %v epochs; want a positive number", cfg.Epochs)
	}
	if cfg.Tolerance == 0 {
		cfg.Tolerance = DefaultTolerance
	}
	if cfg.LR == 0 {
		cfg.LR = DefaultLR
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x72616e646f6d)) // "random"
	sn, err := NewSupernet(cfg.Space, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return RandomResult{}, err
	}
	var done []Candidate
	if cfg.OutDir != "" {
		if b, err := os.ReadFile(filepath.Join(cfg.OutDir, RandomFile)); err == nil {
			if err := json.Unmarshal(b, &done); err != nil {
				return RandomResult{}, fmt.Errorf("nas: %s: %v", filepath.Join(cfg.OutDir, RandomFile), err)
			}
		}
	}
	ds := cfg.Train.Dataset()
	images := int(math.Round(cfg.Epochs * float64(ds.Len()) / float64(cfg.Candidates)))
	var res RandomResult
	for k := range cfg.Candidates {
		cs, err := SampleChoices(rng, sn, cfg.Target, cfg.Tolerance)
		if err != nil {
			return res, err
		}
		order := rng.Perm(ds.Len())
		seed := rng.Uint64()
		if k < len(done) {
			if !slices.Equal(done[k].Choices, cs) {
				return res, fmt.Errorf("nas: %s: candidate %d was drawn by another random search (seed or space): remove the file or choose another output directory",
					filepath.Join(cfg.OutDir, RandomFile), k+1)
			}
			res.Candidates = append(res.Candidates, done[k])
			continue
		}
		d, err := cfg.Space.Derive(cs)
		if err != nil {
			return res, err
		}
		c, err := trainCandidate(ctx, cfg, d, ds, order, images, seed)
		if err != nil {
			return res, err
		}
		res.Candidates = append(res.Candidates, c)
		fmt.Fprintf(cfg.Log, "candidate %d/%d: %s MACs, %d layers, %d LightNL: validation accuracy %.2f%%, loss %.4f\n",
			k+1, cfg.Candidates, humanMACs(c.MACs), countKept(cs), countNonLocal(cs), 100*c.ValAcc, c.ValLoss)
		if cfg.OutDir != "" {
			b, _ := json.MarshalIndent(res.Candidates, "", "  ")
			if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
				return res, fmt.Errorf("nas: %w", err)
			}
			if err := atomicfile.WriteFile(filepath.Join(cfg.OutDir, RandomFile), b); err != nil {
				return res, err
			}
		}
	}
	for k, c := range res.Candidates {
		b := res.Candidates[res.Best]
		if c.ValAcc > b.ValAcc || (c.ValAcc == b.ValAcc && c.ValLoss < b.ValLoss) {
			res.Best = k
		}
	}
	if res.Derived, err = cfg.Space.Derive(res.Candidates[res.Best].Choices); err != nil {
		return res, err
	}
	if cfg.OutDir != "" {
		if err := writeDerived(cfg.OutDir, cfg.Space, res.Derived); err != nil {
			return res, err
		}
	}
	return res, nil
}

// trainCandidate trains network d from scratch on images examples of ds
// (the first of order; all of ds for several epochs if images exceeds it)
// and evaluates it on cfg.Val.
func trainCandidate(ctx context.Context, cfg RandomConfig, d Derived, ds data.Dataset, order []int, images int, seed uint64) (Candidate, error) {
	src := rand.NewPCG(seed, 1)
	net, err := d.NewModel(rand.New(src))
	if err != nil {
		return Candidate{}, err
	}
	epochs := 1
	sub := ds
	if images < ds.Len() {
		sub = data.Subset(ds, order[:max(images, 1)])
	} else {
		epochs = max(1, int(math.Round(float64(images)/float64(ds.Len()))))
	}
	lc := cfg.Train.Config()
	lc.Seed = seed
	lc.DropLast = sub.Len() > lc.BatchSize
	loader, err := data.NewLoader(sub, lc)
	if err != nil {
		return Candidate{}, err
	}
	opt := optim.NewAdamW(optim.SplitDecay(nn.NamedParams(net), nil), optim.AdamConfig{LR: cfg.LR, WeightDecay: cfg.WeightDecay})
	tr, err := train.New(train.Config{
		Model: net, Train: loader, Test: cfg.Val,
		Loss:      nn.CrossEntropyLoss{LabelSmoothing: float32(cfg.LabelSmoothing)},
		Optimizer: opt, Schedule: optim.Cosine(cfg.LR, float64(epochs*loader.NumBatches()), 0),
		Epochs: epochs, Progress: cfg.Progress, RandSources: []train.RandSource{src},
	})
	if err != nil {
		return Candidate{}, err
	}
	res, err := tr.Run(ctx)
	if err != nil {
		return Candidate{}, err
	}
	return Candidate{Choices: d.Choices, MACs: d.Cost.Total.MACs, ValAcc: res.Final.Accuracy(), ValLoss: res.Final.Loss}, nil
}
