// Package sysmem tells how much memory this process may still take: the
// least of the machine's available memory, the address-space limit
// (ulimit -v) and the Go memory limit (GOMEMLIMIT). The library checks the
// memory a network or a run will need against it before allocating, so
// that what cannot fit is refused with an error instead of ending in a
// fatal out-of-memory.
package sysmem

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// Limit returns the bytes of memory this process may still allocate and
// what bounds them, for messages: "available memory", "ulimit -v" or
// "GOMEMLIMIT". Sources that cannot be read are left out; with none,
// Limit returns math.MaxInt64 and "no limit known".
func Limit() (int64, string) {
	limit, source := int64(math.MaxInt64), "no limit known"
	take := func(v int64, s string) {
		if v >= 0 && v < limit {
			limit, source = v, s
		}
	}
	if v, ok := meminfo("MemAvailable"); ok {
		take(v, "available memory")
	} else if v, ok := meminfo("MemTotal"); ok {
		take(v, "the machine's memory")
	}
	if as, ok := addressSpaceLimit(); ok {
		used, _ := selfStatus("VmSize")
		take(max(as-used, 0), "ulimit -v")
	}
	if gl := debug.SetMemoryLimit(-1); gl != math.MaxInt64 {
		take(gl, "GOMEMLIMIT")
	}
	return limit, source
}

// Check returns nil if need bytes fit in [Limit], and otherwise an error
// saying that what needs about need bytes and what the limit is.
func Check(need int64, what string) error {
	limit, source := Limit()
	if need <= limit {
		return nil
	}
	return fmt.Errorf("%s needs about %s of memory; this process may use %s (%s)", what, Bytes(need), Bytes(limit), source)
}

// Bytes formats n bytes with a binary unit: "512 B", "3.2 MiB", "1.5 GiB".
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n), -1
	for v >= unit && i < 5 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGTPE"[i])
}

// meminfo returns a field of /proc/meminfo in bytes.
func meminfo(key string) (int64, bool) { return kBField("/proc/meminfo", key) }

// selfStatus returns a field of /proc/self/status in bytes.
func selfStatus(key string) (int64, bool) { return kBField("/proc/self/status", key) }

// kBField reads "key:   123 kB" from a /proc file.
func kBField(path, key string) (int64, bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || k != key {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) == 0 {
			return 0, false
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil || n < 0 || n > math.MaxInt64/1024 {
			return 0, false
		}
		return n * 1024, true
	}
	return 0, false
}

// ReadFile reads the file at path, refusing one larger than limit bytes
// with an error naming the file, its size and the limit, before reading
// it. Other errors are those of os.Open and io.ReadAll.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > limit {
		return nil, fmt.Errorf("%s is %s, more than the %s such a file may have", path, Bytes(st.Size()), Bytes(limit))
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is more than the %s such a file may have", path, Bytes(limit))
	}
	return b, nil
}
