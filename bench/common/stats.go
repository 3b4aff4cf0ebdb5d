package common

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strings"
)

// Stats summarises repeated measurements of one figure.
type Stats struct {
	N                int
	Median, Min, Max float64
	Q1, Q3           float64
	RelSpreadPercent float64 // (Max-Min)/Median*100
	values           []float64
}

// Summarise computes Stats over values (at least one).
func Summarise(values []float64) Stats {
	v := append([]float64(nil), values...)
	sort.Float64s(v)
	s := Stats{N: len(v), values: v}
	if len(v) == 0 {
		s.Median, s.Min, s.Max = math.NaN(), math.NaN(), math.NaN()
		return s
	}
	s.Min, s.Max = v[0], v[len(v)-1]
	s.Median = quantile(v, 0.5)
	s.Q1, s.Q3 = quantile(v, 0.25), quantile(v, 0.75)
	if s.Median != 0 {
		s.RelSpreadPercent = (s.Max - s.Min) / s.Median * 100
	}
	return s
}

func quantile(sorted []float64, q float64) float64 {
	pos := q * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	return sorted[lo] + (sorted[hi]-sorted[lo])*(pos-float64(lo))
}

// Format prints "median (min–max)" with a precision that suits the
// figure.
func (s Stats) Format() string {
	if s.N == 0 {
		return "—"
	}
	if s.N == 1 {
		return Num(s.Median)
	}
	return fmt.Sprintf("%s (%s–%s)", Num(s.Median), Num(s.Min), Num(s.Max))
}

// Num prints a number with three significant digits (no exponent).
func Num(v float64) string {
	a := math.Abs(v)
	switch {
	case math.IsNaN(v):
		return "—"
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.3g", v)
	}
}

// Machine describes the machine for a results file: nproc, CPU model,
// kernel, memory, Go version.
func Machine() string {
	cpu := "?"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	kernel := "?"
	if out, err := exec.Command("uname", "-srm").Output(); err == nil {
		kernel = strings.TrimSpace(string(out))
	}
	mem := "?"
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(l, "MemTotal:"); ok {
				var kb float64
				fmt.Sscan(strings.TrimSpace(rest), &kb)
				mem = fmt.Sprintf("%.1f GiB", kb/1024/1024)
			}
		}
	}
	return fmt.Sprintf("nproc %d, CPU %s, kernel %s, memory %s, %s",
		runtime.NumCPU(), cpu, kernel, mem, runtime.Version())
}

// LoadAvg is the first three fields of /proc/loadavg (1, 5 and 15
// minutes): the machine may be shared, and a results file should say
// how busy it was.
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
