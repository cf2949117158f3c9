package tensor

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStorage(t *testing.T) {
	a := New(2, 64)
	b := a.Reshape(128)
	c := New(128)
	assert.True(t, SameStorage(a, b))
	assert.False(t, SameStorage(a, c))
	assert.False(t, SameStorage(nil, nil))
	assert.True(t, StorageOf(nil).IsZero())
	assert.True(t, StorageOf(New(0)).IsZero())
	assert.Equal(t, StorageOf(a), StorageOf(b))
	Release(c)
	assert.True(t, StorageOf(c).IsZero())
}

// TestReleaserPolicy checks each rule of a Releaser: kept storage is never
// released, counted storage only when its last holder drops it, storage it
// never counted is left to its owner by Drop, and ReleaseOnce releases
// storage shared by two tensors once.
func TestReleaserPolicy(t *testing.T) {
	var r Releaser
	kept, held, fresh, outside := New(100), New(100), New(100), New(100)
	r.Keep(kept)
	r.Release(kept)
	assert.Equal(t, 100, kept.Len())
	assert.True(t, r.Kept(kept))

	r.Hold(held)
	r.Hold(held.Reshape(10, 10))
	assert.Equal(t, 2, r.Holders(held))
	r.Release(held) // held: not released
	r.Drop(held)
	assert.Equal(t, 100, held.Len())
	r.Drop(held)
	assert.Zero(t, held.Len())

	r.Drop(outside)
	assert.Equal(t, 100, outside.Len())

	r.Release(fresh)
	assert.Zero(t, fresh.Len())

	a := New(100)
	view := a.Reshape(4, 25)
	r.ReleaseOnce(a)
	assert.Zero(t, a.Len())
	r.ReleaseOnce(view) // the same storage: left alone
	require.NotPanics(t, func() { view.Data() })

	r.Reset()
	assert.False(t, r.Kept(kept))
	assert.Zero(t, r.Holders(held))
}

func TestReleaseUnshared(t *testing.T) {
	x, y := New(100), New(100)
	v := x.Reshape(10, 10)
	assert.False(t, ReleaseUnshared(v, x, y))
	assert.Equal(t, 100, v.Len())
	assert.True(t, ReleaseUnshared(y, x))
	assert.Zero(t, y.Len())
	assert.False(t, ReleaseUnshared(y), "an already released tensor")
}

func TestReleaserResetDoesNotAllocate(t *testing.T) {
	var r Releaser
	ts := []*Tensor{New(100), New(100), New(100)}
	allocs := testing.AllocsPerRun(10, func() {
		r.Reset()
		for _, x := range ts {
			r.Keep(x)
			r.Hold(x)
		}
	})
	assert.Zero(t, allocs)
}
