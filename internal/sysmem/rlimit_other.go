//go:build !unix

package sysmem

// addressSpaceLimit reports no limit where there is no RLIMIT_AS.
func addressSpaceLimit() (int64, bool) { return 0, false }
