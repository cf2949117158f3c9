//go:build unix

package sysmem

import (
	"math"
	"syscall"
)

// addressSpaceLimit returns the soft RLIMIT_AS (ulimit -v) in bytes, if
// there is one.
func addressSpaceLimit() (int64, bool) {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_AS, &r); err != nil || r.Cur > math.MaxInt64 {
		return 0, false
	}
	return int64(r.Cur), true
}
