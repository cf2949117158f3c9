package tensor

// Ownership of pooled storage is decided here, in one place: Storage says
// which tensors share memory, Release returns memory to the pool and marks
// the tensor released, and a Releaser applies the release policy of one
// batch of work (a backward pass, the release of a graph, an inference
// forward pass). Package autograd applies it; layers and models never
// release storage themselves.

// Storage identifies the memory that holds a tensor's elements. Tensors
// share storage only whole: Reshape returns a tensor with the same
// Storage, and no tensor of this package views part of another's
// elements. The zero Storage is that of a nil, empty or released tensor.
// Storage values are comparable and may be used as map keys.
type Storage struct{ p *float32 }

// StorageOf returns the identity of t's storage, or the zero Storage if t
// is nil, empty or released.
func StorageOf(t *Tensor) Storage {
	if t == nil || len(t.data) == 0 {
		return Storage{}
	}
	return Storage{&t.data[0]}
}

// IsZero reports whether s is the zero Storage.
func (s Storage) IsZero() bool { return s.p == nil }

// SameStorage reports whether a and b hold their elements in the same
// memory (both non-empty). A tensor and its reshaped views do.
func SameStorage(a, b *Tensor) bool {
	s := StorageOf(a)
	return !s.IsZero() && s == StorageOf(b)
}

// A Releaser applies the release policy of one batch of work: storage goes
// back to the buffer pool at most once, never while it is kept, and, when
// it is counted, only when its last holder drops it. The zero value is
// ready to use; Reset makes a used Releaser ready for the next batch
// without allocating.
//
//   - Keep marks storage that must survive the batch (leaves of a graph,
//     its output, results the caller asked to retain, a caller's gradient).
//   - Hold and Drop count the holders of storage that became shared during
//     the batch; Drop releases it when the count falls to zero.
//   - Release releases storage that nothing holds or keeps, such as a fresh
//     intermediate result that has been consumed; ReleaseOnce also makes
//     sure that storage reached again, through another tensor, is not
//     released twice.
//
// r does not remember what it released: the pool may hand that memory out
// again during the batch, as a new tensor that r then treats as new.
// A nil *Releaser does nothing: code that runs both inside and outside a
// batch of work can call it either way. A Releaser is not safe for
// concurrent use.
type Releaser struct {
	refs map[Storage]int32
	keep map[Storage]bool
}

// Reset forgets every storage the Releaser knows, keeping its maps' memory.
func (r *Releaser) Reset() {
	if r == nil {
		return
	}
	clear(r.refs)
	clear(r.keep)
}

// Keep marks t's storage as one that r must never release.
func (r *Releaser) Keep(t *Tensor) {
	if s := r.track(t); !s.IsZero() {
		r.keep[s] = true
	}
}

// Kept reports whether t's storage was marked by Keep.
func (r *Releaser) Kept(t *Tensor) bool {
	s := StorageOf(t)
	return r != nil && !s.IsZero() && r.keep[s]
}

// Hold counts one more holder of t's storage.
func (r *Releaser) Hold(t *Tensor) {
	if s := r.track(t); !s.IsZero() {
		r.refs[s]++
	}
}

// track returns t's storage for Keep or Hold to record, making r's maps
// on first use; for a nil r, or a t without storage, it returns the zero
// Storage, which they do not record.
func (r *Releaser) track(t *Tensor) Storage {
	s := StorageOf(t)
	if r == nil || s.IsZero() {
		return Storage{}
	}
	if r.refs == nil {
		r.refs, r.keep = map[Storage]int32{}, map[Storage]bool{}
	}
	return s
}

// Holders returns the number of holders of t's storage counted by Hold and
// not yet dropped.
func (r *Releaser) Holders(t *Tensor) int {
	if r == nil {
		return 0
	}
	return int(r.refs[StorageOf(t)])
}

// Drop counts one holder of t's storage fewer and releases it when none is
// left, unless it is kept. Storage that Hold never counted is left alone:
// it belongs to someone outside the batch.
func (r *Releaser) Drop(t *Tensor) {
	if r == nil {
		return
	}
	s := StorageOf(t)
	n, ok := r.refs[s]
	if s.IsZero() || !ok {
		return
	}
	if n > 1 {
		r.refs[s] = n - 1
		return
	}
	delete(r.refs, s)
	r.Release(t)
}

// Release returns t's storage to the pool, as the package function Release
// does, unless it is kept or counted as held.
func (r *Releaser) Release(t *Tensor) {
	if r.mayRelease(t) {
		Release(t)
	}
}

// ReleaseOnce releases t as Release does and then keeps its storage, so
// that other tensors with the same storage are not released again. Use it
// only where no tensor is allocated until r is Reset, since memory
// released here and handed out again by the pool would stay kept.
func (r *Releaser) ReleaseOnce(t *Tensor) {
	if r.mayRelease(t) {
		r.Keep(t)
		Release(t)
	}
}

// mayRelease reports whether r's policy lets t's storage go: r is not
// nil, and the storage is neither empty, kept nor held.
func (r *Releaser) mayRelease(t *Tensor) bool {
	s := StorageOf(t)
	if r == nil || s.IsZero() || r.keep[s] {
		return false
	}
	_, held := r.refs[s]
	return !held
}

// ReleaseUnshared returns t's storage to the pool unless one of others
// shares it, and reports whether it did. It is the policy for an
// intermediate result that has been consumed, when the tensors that
// remain in use are known.
func ReleaseUnshared(t *Tensor, others ...*Tensor) bool {
	s := StorageOf(t)
	if s.IsZero() {
		return false
	}
	for _, o := range others {
		if StorageOf(o) == s {
			return false
		}
	}
	Release(t)
	return true
}
