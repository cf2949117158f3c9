package gemm

import "github.com/autonl-go/autonl/internal/parallel"

// colDriver selects runCols for the products it computes; tests turn it
// off to compare it with the block driver of run.
var colDriver = true

// Blocking of runCols.
const (
	// chunkFloats bounds the packed chunk of op(B) a task keeps, all of
	// its k blocks (512 KiB, to stay in a core's L2), unless a single
	// panel is larger.
	chunkFloats = 1 << 17
	// chunkMaxCols is the widest chunk of columns of a task.
	chunkMaxCols = 1024
	// tasksPerWorker is the number of tasks per worker runCols aims at,
	// so that whoever is free takes the next one and none waits long for
	// the last.
	tasksPerWorker = 4
	// colsMinPanels is the number of panels of columns from which
	// runCols computes a product whose op(A) is larger than op(B).
	colsMinPanels = 16
)

// useCols reports whether run leaves the product to runCols: one without
// batched inner dimension, op(B) not transposed (the products of
// convolutions and their input gradients, not those of weight gradients,
// whose long inner dimension and small C the block driver splits), and
// either op(B) at least as large as op(A) or wide enough to give the
// workers chunks of several panels. Narrow products with a large op(A),
// such as those of 1×1 convolutions on 7×7 and 14×14 maps of one image,
// keep the block driver, whose tasks pack their own rows of op(A) and
// share the few columns of op(B).
func (g *gemmArgs) useCols() bool {
	return colDriver && !g.segK && !g.transB && (g.n >= g.m || ceilDiv(g.n, g.nr) >= colsMinPanels)
}

// runCols computes a product without batched inner dimension (not segK)
// with tasks that own their columns: α·op(A) is packed once, all of its k
// blocks, into panels shared read-only by all tasks; a task then packs
// its own chunk of op(B) columns, all k blocks, into its workspace, and
// computes a range of rows of C over that chunk, block of mc rows by
// block, each block through all k blocks in order while it is in the
// caches, and then applies the epilogues. No task reads what another
// packed for B, and there is no barrier between k blocks. Products too
// narrow to give every worker several chunks are also split by rows.
// Products of at most colsDirectMaxM rows read op(B) in place where the
// micro-kernels can (directBOK) rather than pack it: each of its
// elements is then used by at most four panels of A, and packing it cost
// more than the products (16×12544×32, MobileNetV2's first projection:
// 60% of the time, 1 thread, Zen 5).
//
// Each element of C receives the arithmetic of run — β·c (if β ≠ 0, 1),
// then c ← c + Σ_{p in block} (α·a_ip)·b_pj for each k block of kc in
// order, stored by the first when β = 0, by the same micro-kernels — so
// the results are those of run bit for bit, whatever GOMAXPROCS is.
func (g *gemmArgs) runCols() {
	if g.beta != 0 && g.beta != 1 {
		g.scaleC()
	}
	serial := g.m*g.n*g.k < serialWork
	workers := parallel.Workers()
	g.bDirect = g.m <= colsDirectMaxM && g.directBOK()

	// α·op(A): k block pc (kcur columns) at ap[pc·mp:], its panel of rows
	// [i, i+mr) at ap[pc·mp + i·kcur:].
	mp := roundUp(g.m, g.mr)
	mPanels := mp / g.mr
	var ap []float32
	if g.pa != nil {
		ap = g.pa.data // packed beforehand, in this layout
	} else {
		apBuf := packBuffers.get()
		defer packBuffers.put(apBuf)
		if len(*apBuf) < mp*g.k {
			*apBuf = make([]float32, mp*g.k)
		}
		ap = (*apBuf)[:mp*g.k]
		packPanels := func(lo, hi int) {
			for u := lo; u < hi; u++ {
				pc, i := u/mPanels*g.kc, u%mPanels*g.mr
				kcur := min(g.kc, g.k-pc)
				packA(ap[pc*mp+i*kcur:], g.mr, g.transA, g.a, g.lda, i, min(g.mr, g.m-i), pc, kcur, kcur, 0, g.alpha)
			}
		}
		units := ceilDiv(g.k, g.kc) * mPanels
		if serial {
			packPanels(0, units)
		} else {
			parallel.For(units, max(1, 1<<14/(g.mr*g.kc)), packPanels)
		}
	}

	// Tasks: chunks of whole panels of columns, at most chunkFloats of
	// packed B and chunkMaxCols wide, at least tasksPerWorker per worker
	// when there are enough panels, and otherwise also split into ranges
	// of rows, each at least two panels of A high.
	panels := ceilDiv(g.n, g.nr)
	perChunk := min(max(1, chunkFloats/(g.k*g.nr)), chunkMaxCols/g.nr)
	chunks := ceilDiv(panels, perChunk)
	rowRanges := 1
	if want := tasksPerWorker * workers; !serial && workers > 1 && chunks < want {
		chunks = min(panels, want)
		if chunks < want {
			rowRanges = min(ceilDiv(want, chunks), ceilDiv(g.m, 2*g.mr))
		}
	}
	perChunk = ceilDiv(panels, chunks)
	g.chunk = perChunk * g.nr
	chunks = ceilDiv(panels, perChunk)
	rows := roundUp(ceilDiv(g.m, rowRanges), g.mr)
	rowRanges = ceilDiv(g.m, rows)
	tasks := func(lo, hi int) {
		w := getWorkspace(g.kernelConfig)
		for t := lo; t < hi; t++ {
			i0 := t % rowRanges * rows
			g.colTask(w, ap, mp, t/rowRanges, i0, min(rows, g.m-i0))
		}
		w.view = gemmArgs{}
		workspaces.put(w)
	}
	if serial || chunks*rowRanges == 1 {
		tasks(0, chunks*rowRanges)
	} else {
		parallel.For(chunks*rowRanges, 1, tasks)
	}
}

// colTask computes rows [i0, i0+rows) of C over chunk cb of g.chunk
// columns for runCols, with the packed α·op(A) ap (mp rows per k block)
// and the workspace w, whose b it packs the chunk of op(B) into.
func (g *gemmArgs) colTask(w *workspace, ap []float32, mp, cb, i0, rows int) {
	t := &w.view // this task's current block
	*t = *g
	t.jc = cb * g.chunk
	t.ncur = min(g.chunk, g.n-t.jc)
	np := ceilDiv(t.ncur, g.nr)
	ldp := np * g.nr // k block pc of the chunk at w.b[pc·ldp:]
	if g.bDirect {
		ldp = 0
	}
	if len(w.b) < g.k*ldp {
		w.b = make([]float32, g.k*ldp)
	}
	block := func(pc int) {
		t.pc, t.kcur = pc, min(g.kc, g.k-pc)
		t.bp = w.b[pc*ldp : pc*ldp+t.kcur*ldp]
	}
	if !g.bDirect {
		for pc := 0; pc < g.k; pc += g.kc {
			block(pc)
			t.packB(0, np)
		}
	}
	wa := workspace{edge: w.edge}
	step := max(g.mc/g.mr, 1) * g.mr // blocks of whole panels of A
	for i := i0; i < i0+rows; i += step {
		mc := min(step, i0+rows-i)
		for pc := 0; pc < g.k; pc += g.kc {
			block(pc)
			t.store = pc == 0 && g.beta == 0
			wa.a = ap[pc*mp+i*t.kcur : pc*mp+(i+roundUp(mc, g.mr))*t.kcur]
			t.macroKernel(&wa, i, mc, 0, t.ncur)
		}
		if g.aff != nil || g.ep != nil {
			t.epilogue(i, mc, t.jc, t.ncur)
		}
	}
}
