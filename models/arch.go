package models

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// LightNLSpec configures the LightNL block that follows a block's
// projection. The zero value means "no LightNL block".
type LightNLSpec struct {
	// Ratio is the LightNL channel ratio r in (0, 1]; 0 means no LightNL.
	Ratio float64
	// Stride is the key stride s ≥ 1: keys and values are taken from a
	// feature map subsampled by s in both spatial dimensions. It must be 0
	// exactly when Ratio is 0.
	Stride int
}

// BlockSpec is one parsed block string: Repeats inverted-residual (MBConv)
// layers that share kernel, expansion, squeeze-excite and LightNL settings.
// The first layer has the given Strides and input width In; the other
// Repeats-1 layers have stride 1 and input width Out (see [Unroll]).
//
// BlockSpec is comparable with ==. A value that passes [BlockSpec.Validate]
// prints to a string that [ParseBlock] maps back to an identical value.
type BlockSpec struct {
	Repeats  int     // r: number of layers, ≥ 1
	Kernel   int     // k: depthwise kernel size, odd, ≥ 1
	Strides  [2]int  // s: depthwise strides (rows, columns) of the first layer, each in 1..9
	Expand   float64 // e: expansion ratio (hidden width = In·Expand), > 0
	In       int     // i: input width (channels) of the first layer, ≥ 1
	Out      int     // o: output width, ≥ 1
	SE       float64 // se: squeeze-excite ratio in (0, 1]; 0 means no squeeze-excite
	NoSkip   bool    // noskip: never add an identity skip
	NonLocal LightNLSpec
}

// HasSE reports whether the block has a squeeze-excite part.
func (b BlockSpec) HasSE() bool { return b.SE != 0 }

// HasNonLocal reports whether the block is followed by a LightNL block.
func (b BlockSpec) HasNonLocal() bool { return b.NonLocal.Ratio != 0 }

// HasSkip reports whether the block's first layer has an identity skip
// connection: it has one exactly when both strides are 1, In == Out and
// NoSkip is false. After [Unroll] it describes each layer.
func (b BlockSpec) HasSkip() bool {
	return b.Strides == [2]int{1, 1} && b.In == b.Out && !b.NoSkip
}

// Error kinds. Every error returned by this file's functions is an
// *[ArchError] whose Kind is one of these; test with errors.Is.
var (
	ErrEmptyToken     = errors.New("empty token")
	ErrUnknownToken   = errors.New("unknown token")
	ErrDuplicateToken = errors.New("duplicate token")
	ErrMissingToken   = errors.New("missing required token")
	ErrBadNumber      = errors.New("bad number")
	ErrOutOfRange     = errors.New("value out of range")
	ErrWidthMismatch  = errors.New("block widths do not chain")
	ErrNoBlocks       = errors.New("arch has no blocks")
)

// ArchError describes what is wrong with a block string or an architecture
// and where. Its message has the form
//
//	models: block 3 (line 5) "r1_k4_s22_e6_i40_o80": token "k4": kernel size must be odd
//
// where the block position, line and token parts are left out when they do
// not apply (a single [ParseBlock] call has no position or line; a missing
// token has no offending token).
type ArchError struct {
	Block int    // 1-based position of the block among the arch's blocks; 0 if not in an arch
	Line  int    // 1-based line of the block string in the input; 0 if unknown
	Text  string // the block string (as written, or canonical if built in code)
	Token string // the offending token; "" if the error is not about one token
	Kind  error  // one of the Err* kinds above
	Msg   string // what is wrong
}

func (e *ArchError) Error() string {
	var sb strings.Builder
	sb.WriteString("models: ")
	if e.Block > 0 || e.Text != "" {
		sb.WriteString("block ")
		if e.Block > 0 {
			fmt.Fprintf(&sb, "%d ", e.Block)
		}
		if e.Line > 0 {
			fmt.Fprintf(&sb, "(line %d) ", e.Line)
		}
		fmt.Fprintf(&sb, "%s: ", quoteExcerpt(e.Text))
	}
	if e.Token != "" && (e.Token != e.Text || e.Text == "" || len(e.Text) <= maxQuote) {
		fmt.Fprintf(&sb, "token %s: ", quoteExcerpt(e.Token))
	}
	sb.WriteString(e.Msg)
	return sb.String()
}

// maxQuote is the most bytes of a block string or token that an error
// quotes: a longer one is quoted by its first maxQuote bytes and its
// length, so that a huge line in a file gives a short message.
const maxQuote = 60

// quoteExcerpt quotes s, or for a long s its first maxQuote bytes (cut at
// a rune boundary) followed by "…" and the length.
func quoteExcerpt(s string) string {
	if len(s) <= maxQuote {
		return strconv.Quote(s)
	}
	cut := maxQuote
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes)", strconv.Quote(s[:cut]), len(s))
}

// Unwrap returns the error kind, so that errors.Is(err, ErrOutOfRange) and
// the like work.
func (e *ArchError) Unwrap() error { return e.Kind }

// field identifies a token kind of the grammar.
type field int

const (
	fRepeats field = iota
	fKernel
	fStrides
	fExpand
	fIn
	fOut
	fSE
	fNoSkip
	fNonLocal
	numFields
)

// fieldKeys are the token prefixes, in canonical order.
var fieldKeys = [numFields]string{"r", "k", "s", "e", "i", "o", "se", "noskip", "nonlocal"}

var fieldNames = [numFields]string{
	"repeats", "kernel size", "strides", "expansion ratio", "input width",
	"output width", "squeeze-excite ratio", "noskip", "LightNL",
}

func lookupField(key string) (field, bool) {
	for f, k := range fieldKeys {
		if k == key {
			return field(f), true
		}
	}
	return 0, false
}

// ParseBlock parses one block string. Surrounding white space is ignored.
//
// A block string is a sequence of tokens joined by "_", in any order, each
// token kind at most once:
//
//	block    = token { "_" token } .
//	token    = "r" int          // repeats, ≥ 1                       required
//	         | "k" int          // depthwise kernel size, odd, ≥ 1    required
//	         | "s" sdigit [ sdigit ]
//	                            // strides (rows, columns); one digit
//	                            // means the same stride for both     required
//	         | "e" num          // expansion ratio, > 0               required
//	         | "i" int          // input width, ≥ 1                   required
//	         | "o" int          // output width, ≥ 1                  required
//	         | "se" num         // squeeze-excite ratio in (0, 1]     optional
//	         | "noskip"         // no identity skip                   optional
//	         | "nonlocal" num [ "-" int ]
//	                            // LightNL channel ratio in (0, 1] and
//	                            // key stride ≥ 1 (default 1)         optional
//	int      = "0" | "1"…"9" { "0"…"9" } .      // at most the field's limit
//	num      = int [ "." "0"…"9" { "0"…"9" } ] . // finite, no sign or exponent
//	sdigit   = "1"…"9" .
//
// The limits are those of [MaxWidth]: repeats at most MaxRepeats, kernel
// at most MaxKernel, widths and the hidden width round(i·e) at most
// MaxWidth, expansion at most MaxExpand, the LightNL key stride at most
// MaxStride; [ParseArch] allows at most MaxLayers layers in all.
//
// A token's key is its leading run of lower-case ASCII letters; the rest is
// its value. Numbers are plain unsigned decimals without leading zeros
// ("0.25" and "6" but not ".25", "06", "+6" or "6e0").
//
// The canonical form, which [BlockSpec.String] prints, lists the tokens in
// the order r, k, s, e, i, o, se, noskip, nonlocal, writes strides with two
// digits ("s22", never "s2"), writes every number in its shortest form
// ("e6", "se0.25"), and leaves out the key stride of a LightNL block when it
// is 1 ("nonlocal0.25", the short form the zoo strings use; "nonlocal0.25-1"
// is accepted as input and prints as "nonlocal0.25").
//
// Errors are *[ArchError] values naming the block string, the offending
// token and what is wrong with it.
func ParseBlock(s string) (BlockSpec, error) {
	b, err := parseBlock(strings.TrimSpace(s))
	if err != nil {
		return BlockSpec{}, err
	}
	return b, nil
}

// parseBlock parses a trimmed block string. Errors carry Text, Token, Kind
// and Msg; the caller fills in Block and Line.
func parseBlock(s string) (BlockSpec, *ArchError) {
	fail := func(kind error, tok, msg string) (BlockSpec, *ArchError) {
		return BlockSpec{}, &ArchError{Text: s, Token: tok, Kind: kind, Msg: msg}
	}
	if s == "" {
		return fail(ErrEmptyToken, "", "empty block string")
	}
	var (
		b    BlockSpec
		seen [numFields]string // text of each token kind already parsed
	)
	for pos, tok := range strings.Split(s, "_") {
		if tok == "" {
			return fail(ErrEmptyToken, "", fmt.Sprintf("empty token at position %d (stray \"_\")", pos+1))
		}
		n := 0
		for n < len(tok) && tok[n] >= 'a' && tok[n] <= 'z' {
			n++
		}
		key, val := tok[:n], tok[n:]
		f, ok := lookupField(key)
		if !ok {
			return fail(ErrUnknownToken, tok, "unknown token (want r, k, s, e, i, o, se, noskip or nonlocal)")
		}
		if seen[f] != "" {
			return fail(ErrDuplicateToken, tok, fmt.Sprintf("duplicate token: %s already given as %q", fieldNames[f], seen[f]))
		}
		seen[f] = tok

		var pr *problem
		switch f {
		case fRepeats:
			b.Repeats, pr = parseInt(val, fieldNames[f], MaxRepeats)
			pr = pr.or(checkRepeats(b.Repeats))
		case fKernel:
			b.Kernel, pr = parseInt(val, fieldNames[f], MaxKernel)
			pr = pr.or(checkKernel(b.Kernel))
		case fStrides:
			b.Strides, pr = parseStrides(val)
		case fExpand:
			b.Expand, pr = parseNum(val, fieldNames[f])
			pr = pr.or(checkExpand(b.Expand))
		case fIn:
			b.In, pr = parseInt(val, fieldNames[f], MaxWidth)
			pr = pr.or(checkWidth(fieldNames[f], b.In))
		case fOut:
			b.Out, pr = parseInt(val, fieldNames[f], MaxWidth)
			pr = pr.or(checkWidth(fieldNames[f], b.Out))
		case fSE:
			b.SE, pr = parseNum(val, fieldNames[f])
			pr = pr.or(checkRatio(fieldNames[f], b.SE))
		case fNoSkip:
			if val != "" {
				pr = &problem{ErrUnknownToken, `unknown token ("noskip" takes no value)`}
			}
			b.NoSkip = true
		case fNonLocal:
			b.NonLocal, pr = parseNonLocal(val)
		}
		if pr != nil {
			return fail(pr.kind, tok, pr.msg)
		}
	}
	var missing []string
	for f := fRepeats; f <= fOut; f++ {
		if seen[f] == "" {
			missing = append(missing, fmt.Sprintf("%q (%s)", fieldKeys[f], fieldNames[f]))
		}
	}
	if len(missing) == 1 {
		return fail(ErrMissingToken, "", "missing required token "+missing[0])
	}
	if len(missing) > 1 {
		return fail(ErrMissingToken, "", "missing required tokens "+strings.Join(missing, ", "))
	}
	if msg := checkHidden(b); msg != "" {
		return fail(ErrOutOfRange, seen[fExpand], msg)
	}
	return b, nil
}

// problem is what is wrong with one token's value.
type problem struct {
	kind error  // one of the Err* kinds
	msg  string // what is wrong
}

// or returns p if p is not nil, and otherwise an out-of-range problem with
// the message of a check function ("" meaning no problem). It lets a range
// check follow a parse that may have failed.
func (p *problem) or(rangeMsg string) *problem {
	if p != nil {
		return p
	}
	return outOfRange(rangeMsg)
}

// outOfRange turns the message of a check function into a problem; "" means
// no problem.
func outOfRange(msg string) *problem {
	if msg == "" {
		return nil
	}
	return &problem{ErrOutOfRange, msg}
}

func badNumber(format string, args ...any) *problem {
	return &problem{ErrBadNumber, fmt.Sprintf(format, args...)}
}

// parseInt parses an int of the grammar; what names the value in messages
// and limit is its largest value. On failure the returned value is 0,
// which no range check needs to see (problem.or keeps the first problem).
func parseInt(val, what string, limit int) (int, *problem) {
	if val == "" {
		return 0, badNumber("bad number: missing value for %s", what)
	}
	if !allDigits(val) {
		return 0, badNumber("bad number %q for %s: want an unsigned decimal integer", val, what)
	}
	if len(val) > 1 && val[0] == '0' {
		return 0, badNumber("bad number %q for %s: leading zero", val, what)
	}
	v := 0
	for i := 0; i < len(val); i++ {
		v = v*10 + int(val[i]-'0')
		if v > limit {
			return 0, outOfRange(checkMax(what, v, limit))
		}
	}
	return v, nil
}

// parseNum parses a num of the grammar (unsigned decimal with an optional
// fraction).
func parseNum(val, what string) (float64, *problem) {
	if val == "" {
		return 0, badNumber("bad number: missing value for %s", what)
	}
	intPart, frac, hasDot := strings.Cut(val, ".")
	if !allDigits(intPart) || (hasDot && !allDigits(frac)) {
		return 0, badNumber("bad number %q for %s: want an unsigned decimal like 6 or 0.25", val, what)
	}
	if len(intPart) > 1 && intPart[0] == '0' {
		return 0, badNumber("bad number %q for %s: leading zero", val, what)
	}
	v, err := strconv.ParseFloat(val, 64)
	if err != nil || math.IsInf(v, 0) {
		return 0, outOfRange(what + " is too large")
	}
	return v, nil
}

// allDigits reports whether s is a non-empty run of ASCII digits.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func parseStrides(val string) ([2]int, *problem) {
	if (len(val) != 1 && len(val) != 2) || !allDigits(val) {
		return [2]int{}, badNumber("bad number %q for strides: want one or two digits", val)
	}
	st := [2]int{int(val[0] - '0'), int(val[len(val)-1] - '0')}
	return st, outOfRange(checkStrides(st))
}

func parseNonLocal(val string) (LightNLSpec, *problem) {
	rs, ss, hasStride := strings.Cut(val, "-")
	r, pr := parseNum(rs, "LightNL channel ratio")
	if pr != nil {
		return LightNLSpec{}, pr
	}
	nl := LightNLSpec{Ratio: r, Stride: 1}
	if hasStride {
		if nl.Stride, pr = parseInt(ss, "LightNL key stride", MaxStride); pr != nil {
			return LightNLSpec{}, pr
		}
	}
	return nl, outOfRange(checkNonLocal(nl))
}

// The check functions return "" for a value in range and otherwise a
// message saying what the range is.

func checkRepeats(v int) string {
	if v < 1 {
		return "repeats must be at least 1"
	}
	return checkMax("repeats", v, MaxRepeats)
}

func checkKernel(v int) string {
	switch {
	case v < 1:
		return "kernel size must be at least 1"
	case v%2 == 0:
		return "kernel size must be odd"
	}
	return checkMax("kernel size", v, MaxKernel)
}

func checkStrides(st [2]int) string {
	for _, s := range st {
		if s < 1 || s > 9 {
			return "strides must be between 1 and 9"
		}
	}
	return ""
}

func checkExpand(v float64) string {
	if !(v > 0) || math.IsInf(v, 0) {
		return "expansion ratio must be positive and finite"
	}
	if v > MaxExpand {
		return fmt.Sprintf("expansion ratio must be at most %d", MaxExpand)
	}
	return ""
}

func checkWidth(what string, v int) string {
	if v < 1 {
		return what + " must be at least 1"
	}
	return checkMax(what, v, MaxWidth)
}

func checkRatio(what string, v float64) string {
	if !(v > 0 && v <= 1) {
		return what + " must be in (0, 1]"
	}
	return ""
}

func checkNonLocal(nl LightNLSpec) string {
	if nl.Ratio == 0 && nl.Stride == 0 {
		return ""
	}
	if msg := checkRatio("LightNL channel ratio", nl.Ratio); msg != "" {
		return msg
	}
	if nl.Stride < 1 {
		return "LightNL key stride must be at least 1"
	}
	return checkMax("LightNL key stride", nl.Stride, MaxStride)
}

func checkMax(what string, v, limit int) string {
	if v > limit {
		return fmt.Sprintf("%s must be at most %d", what, limit)
	}
	return ""
}

// checkHidden checks the hidden width round(In·Expand) of a block whose
// fields are in range.
func checkHidden(b BlockSpec) string {
	if h := b.HiddenWidth(); h > MaxWidth {
		return fmt.Sprintf("hidden width %d (input width × expansion ratio) must be at most %d", h, MaxWidth)
	}
	return ""
}

// checkLayers checks the number of layers of blocks after unrolling; it
// returns the index of the block at which the limit is passed, or -1.
func checkLayers(blocks []BlockSpec) int {
	n := 0
	for i, b := range blocks {
		n += b.Repeats
		if n > MaxLayers {
			return i
		}
	}
	return -1
}

// tooManyLayers is the error of checkLayers.
func tooManyLayers(blocks []BlockSpec, i int, line int, text string) *ArchError {
	return &ArchError{Block: i + 1, Line: line, Text: text, Token: fmt.Sprintf("r%d", blocks[i].Repeats), Kind: ErrOutOfRange,
		Msg: fmt.Sprintf("the network has more than %d layers after unrolling repeats", MaxLayers)}
}

// Validate reports whether every field of b is in the range the grammar
// allows (see [ParseBlock]); it returns nil or an *[ArchError] of kind
// [ErrOutOfRange] that names the offending field as a token. For a valid b,
// ParseBlock(b.String()) returns b.
func (b BlockSpec) Validate() error {
	fail := func(tok, msg string) error {
		return &ArchError{Text: b.String(), Token: tok, Kind: ErrOutOfRange, Msg: msg}
	}
	if msg := checkRepeats(b.Repeats); msg != "" {
		return fail(fmt.Sprintf("r%d", b.Repeats), msg)
	}
	if msg := checkKernel(b.Kernel); msg != "" {
		return fail(fmt.Sprintf("k%d", b.Kernel), msg)
	}
	if msg := checkStrides(b.Strides); msg != "" {
		return fail(fmt.Sprintf("s%d%d", b.Strides[0], b.Strides[1]), msg)
	}
	if msg := checkExpand(b.Expand); msg != "" {
		return fail("e"+formatNum(b.Expand), msg)
	}
	if msg := checkWidth("input width", b.In); msg != "" {
		return fail(fmt.Sprintf("i%d", b.In), msg)
	}
	if msg := checkWidth("output width", b.Out); msg != "" {
		return fail(fmt.Sprintf("o%d", b.Out), msg)
	}
	if b.SE != 0 {
		if msg := checkRatio("squeeze-excite ratio", b.SE); msg != "" {
			return fail("se"+formatNum(b.SE), msg)
		}
	}
	if b.NonLocal.Ratio == 0 && b.NonLocal.Stride != 0 {
		return fail(fmt.Sprintf("nonlocal0-%d", b.NonLocal.Stride), "LightNL key stride given without a channel ratio")
	}
	if msg := checkNonLocal(b.NonLocal); msg != "" {
		return fail(formatNonLocal(b.NonLocal), msg)
	}
	if msg := checkHidden(b); msg != "" {
		return fail("e"+formatNum(b.Expand), msg)
	}
	return nil
}

// formatNum prints x in its shortest decimal form that parses back to x,
// without an exponent ("6", "0.25", "4.5").
func formatNum(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

// formatNonLocal prints the nonlocal token, leaving out a key stride of 1.
func formatNonLocal(nl LightNLSpec) string {
	s := "nonlocal" + formatNum(nl.Ratio)
	if nl.Stride != 1 {
		s += "-" + strconv.Itoa(nl.Stride)
	}
	return s
}

// String returns the canonical block string of b (see [ParseBlock]), e.g.
// "r1_k5_s22_e6_i40_o80_se0.25_nonlocal0.25-2". The string of an invalid b
// (see [BlockSpec.Validate]) need not parse.
func (b BlockSpec) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "r%d_k%d_s%d%d_e%s_i%d_o%d",
		b.Repeats, b.Kernel, b.Strides[0], b.Strides[1], formatNum(b.Expand), b.In, b.Out)
	if b.SE != 0 {
		sb.WriteString("_se")
		sb.WriteString(formatNum(b.SE))
	}
	if b.NoSkip {
		sb.WriteString("_noskip")
	}
	if b.NonLocal.Ratio != 0 {
		sb.WriteByte('_')
		sb.WriteString(formatNonLocal(b.NonLocal))
	}
	return sb.String()
}

// ParseArch parses an architecture: one block string per line (see
// [ParseBlock]). Everything from a "#" to the end of its line is a comment;
// blank lines and surrounding white space are ignored. The blocks must
// chain: each block's input width equals the previous block's output width
// (the first block's input width is the stem's width).
//
// Errors are *[ArchError] values that name the block by its 1-based position
// among the blocks, its 1-based line and its text; an arch without blocks
// is an error of kind [ErrNoBlocks].
func ParseArch(text string) ([]BlockSpec, error) {
	return parseLines(strings.Split(text, "\n"))
}

// ParseArchLines is [ParseArch] for text already split into lines: lines[i]
// is line i+1.
func ParseArchLines(lines []string) ([]BlockSpec, error) {
	return parseLines(lines)
}

// MustParseArch is [ParseArch] for architectures fixed at compile time, such
// as the zoo's; it panics on error.
func MustParseArch(text string) []BlockSpec {
	blocks, err := ParseArch(text)
	if err != nil {
		panic(err)
	}
	return blocks
}

func parseLines(lines []string) ([]BlockSpec, error) {
	var (
		blocks []BlockSpec
		lineNo []int
		texts  []string
	)
	for i, ln := range lines {
		if j := strings.IndexByte(ln, '#'); j >= 0 {
			ln = ln[:j]
		}
		ln = strings.TrimSpace(ln)
		if ln == "" {
			continue
		}
		b, err := parseBlock(ln)
		if err != nil {
			err.Block, err.Line = len(blocks)+1, i+1
			return nil, err
		}
		blocks = append(blocks, b)
		lineNo = append(lineNo, i+1)
		texts = append(texts, ln)
		if j := checkLayers(blocks); j >= 0 { // before reading further
			return nil, tooManyLayers(blocks, j, lineNo[j], texts[j])
		}
	}
	if len(blocks) == 0 {
		return nil, &ArchError{Kind: ErrNoBlocks, Msg: "arch has no blocks"}
	}
	if err := checkChain(blocks, lineNo, texts); err != nil {
		return nil, err
	}
	return blocks, nil
}

// CheckArch validates every block (see [BlockSpec.Validate]) and checks that
// the blocks chain: each block's input width equals the previous block's
// output width. Errors name blocks by 1-based position and canonical text.
// An empty list is an error of kind [ErrNoBlocks].
func CheckArch(blocks []BlockSpec) error {
	if len(blocks) == 0 {
		return &ArchError{Kind: ErrNoBlocks, Msg: "arch has no blocks"}
	}
	texts := make([]string, len(blocks))
	for i, b := range blocks {
		if err := b.Validate(); err != nil {
			ae := err.(*ArchError)
			ae.Block = i + 1
			return ae
		}
		texts[i] = b.String()
	}
	if i := checkLayers(blocks); i >= 0 {
		return tooManyLayers(blocks, i, 0, texts[i])
	}
	return checkChain(blocks, nil, texts)
}

// checkChain checks that the widths chain. lineNo may be nil.
func checkChain(blocks []BlockSpec, lineNo []int, texts []string) error {
	line := func(i int) int {
		if lineNo == nil {
			return 0
		}
		return lineNo[i]
	}
	for i := 1; i < len(blocks); i++ {
		prev, cur := blocks[i-1], blocks[i]
		if cur.In == prev.Out {
			continue
		}
		where := fmt.Sprintf("block %d", i)
		if l := line(i - 1); l > 0 {
			where += fmt.Sprintf(" (line %d)", l)
		}
		return &ArchError{
			Block: i + 1, Line: line(i), Text: texts[i],
			Token: fmt.Sprintf("i%d", cur.In), Kind: ErrWidthMismatch,
			Msg: fmt.Sprintf("input width %d does not match output width %d of %s %q",
				cur.In, prev.Out, where, texts[i-1]),
		}
	}
	return nil
}

// FormatArch prints blocks in canonical form, one block string per line,
// each line ending in "\n". ParseArch(FormatArch(blocks)) returns blocks
// for every list that [CheckArch] accepts.
func FormatArch(blocks []BlockSpec) string {
	var sb strings.Builder
	for _, b := range blocks {
		sb.WriteString(b.String())
		sb.WriteByte('\n')
	}
	return sb.String()
}

// Unroll unrolls repeats: it returns one BlockSpec per layer, each with
// Repeats 1. A block with Repeats r becomes r layers; the first keeps the
// block's Strides and In, the others have Strides {1, 1} and In = Out. All
// other fields are copied to every layer. A block with Repeats < 1
// contributes no layer. Unroll does not validate; an expanded list
// expands to itself.
func Unroll(blocks []BlockSpec) []BlockSpec {
	n := 0
	for _, b := range blocks {
		n += max(b.Repeats, 0)
	}
	layers := make([]BlockSpec, 0, n)
	for _, b := range blocks {
		for r := 0; r < b.Repeats; r++ {
			l := b
			l.Repeats = 1
			if r > 0 {
				l.Strides = [2]int{1, 1}
				l.In = b.Out
			}
			layers = append(layers, l)
		}
	}
	return layers
}
