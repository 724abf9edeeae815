package ingest

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pmlens/pmlens/connectors/msproject"
	"github.com/pmlens/pmlens/warehouse"
)

// BenchmarkSyncMSProject is the end-to-end figure: a 100,000-task MSPDI export
// (baselines, assignments, links; ~475 MB) hashed, parsed and loaded through a
// sync run into a real DuckDB warehouse, committed and published. Compare its
// tasks/s with BenchmarkXMLTokenScan in connectors/msproject (the floor).
func BenchmarkSyncMSProject(b *testing.B) {
	const tasks = 100_000
	dir := b.TempDir()
	s, _ := mspEnv(b, dir, "")
	ctx := context.Background()
	cpu := 0.0
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		// A new export each round (costs scaled), so the file is not "unchanged".
		path := filepath.Join(dir, "exports", "programme-"+strconv.Itoa(i)+".xml")
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			b.Fatal(err)
		}
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		if err := msproject.WriteSyntheticMSPDI(f, msproject.SyntheticSpec{Tasks: tasks, CostScale: float64(i + 1),
			StatusDate: time.Date(2025, 1, 10, 17, 0, 0, 0, time.UTC).AddDate(0, 0, 7*i)}); err != nil {
			b.Fatal(err)
		}
		f.Close()
		if i == 0 {
			st, _ := os.Stat(path)
			b.SetBytes(st.Size())
		}
		runtime.GC()
		mspResetPeakRSS()
		cpu0 := mspCPUSeconds()
		b.StartTimer()
		res, err := s.Sync(ctx)
		if err != nil || len(res) != 1 || res[0].Status != warehouse.StatusSuccess {
			b.Fatalf("sync: %+v %v", res, err)
		}
		b.StopTimer()
		cpu += mspCPUSeconds() - cpu0
		os.Remove(path)
		b.StartTimer()
	}
	b.ReportMetric(float64(tasks)*float64(b.N)/b.Elapsed().Seconds(), "tasks/s")
	b.ReportMetric(cpu/float64(b.N), "cpu-s/op")
	b.ReportMetric(mspPeakRSSMB(), "peakRSS-MB")
}

// mspCPUSeconds is the process's user+system CPU time: on a busy machine it says
// more about the work done than wall time.
func mspCPUSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// mspResetPeakRSS clears the kernel's high-water mark (Linux) so the next reading
// covers only what follows.
func mspResetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// mspPeakRSSMB reads VmHWM from /proc/self/status in MB (0 where unavailable).
func mspPeakRSSMB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			if f := strings.Fields(rest); len(f) > 0 {
				if kb, err := strconv.ParseFloat(f[0], 64); err == nil {
					return kb / 1024
				}
			}
		}
	}
	return 0
}
