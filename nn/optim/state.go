package optim

import (
	"fmt"
	"maps"
	"strings"

	"github.com/autonl-go/autonl/safetensors"
)

// State is the saved state of an optimizer or an EMA: float32 tensors and
// string metadata, the two halves of a .safetensors file. Write it with
//
//	safetensors.WriteFile(path, s.Tensors, s.Metadata)
//
// and read it back with safetensors.ReadFile, File.Tensors and
// File.Metadata. Prefix and Merge put the states of a model, its optimizer
// and its EMA in one checkpoint file.
type State struct {
	Tensors  []safetensors.Tensor
	Metadata map[string]string
}

// Stateful is implemented by the optimizers and by EMA.
type Stateful interface {
	State() State
	LoadState(State) error
}

// Prefix returns s with prefix prepended to every tensor name and
// metadata key. The tensors share their data with s.
func (s State) Prefix(prefix string) State {
	out := State{Metadata: make(map[string]string, len(s.Metadata))}
	for _, t := range s.Tensors {
		t.Name = prefix + t.Name
		out.Tensors = append(out.Tensors, t)
	}
	for k, v := range s.Metadata {
		out.Metadata[prefix+k] = v
	}
	return out
}

// Select returns the tensors and metadata of s whose names start with
// prefix, with the prefix removed: the inverse of Prefix. The tensors share
// their data with s.
func (s State) Select(prefix string) State {
	out := State{Metadata: map[string]string{}}
	for _, t := range s.Tensors {
		if name, ok := strings.CutPrefix(t.Name, prefix); ok {
			t.Name = name
			out.Tensors = append(out.Tensors, t)
		}
	}
	for k, v := range s.Metadata {
		if name, ok := strings.CutPrefix(k, prefix); ok {
			out.Metadata[name] = v
		}
	}
	return out
}

// Merge returns the union of states, which must not share a tensor name or
// a metadata key.
func Merge(states ...State) (State, error) {
	out := State{Metadata: map[string]string{}}
	names := map[string]bool{}
	for _, s := range states {
		for _, t := range s.Tensors {
			if names[t.Name] {
				return State{}, fmt.Errorf("optim: merge states: tensor %q appears twice", t.Name)
			}
			names[t.Name] = true
			out.Tensors = append(out.Tensors, t)
		}
		for k := range s.Metadata {
			if _, dup := out.Metadata[k]; dup {
				return State{}, fmt.Errorf("optim: merge states: metadata key %q appears twice", k)
			}
		}
		maps.Copy(out.Metadata, s.Metadata)
	}
	return out, nil
}
