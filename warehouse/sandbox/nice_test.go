package sandbox

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// threadNiceness lists the nice value of every thread of this process
// (field 19 of /proc/self/task/TID/stat).
func threadNiceness(t *testing.T) map[string]int {
	t.Helper()
	tasks, err := filepath.Glob("/proc/self/task/*/stat")
	if err != nil || len(tasks) == 0 {
		t.Skipf("no /proc/self/task here: %v", err)
	}
	out := map[string]int{}
	for _, f := range tasks {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // the thread ended meanwhile
		}
		// The command name (field 2) may hold spaces; fields after ")" are plain.
		fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(fields) < 17 {
			continue
		}
		n, err := strconv.Atoi(fields[16]) // field 19 overall: nice
		if err == nil {
			out[f] = n
		}
	}
	return out
}

// TestQueriesRunNiced: while an analyst's query runs, one thread of the process
// runs at the configured niceness; when it ends, no niced thread is left to run
// other goroutines (dashboards, syncs) at low priority.
func TestQueriesRunNiced(t *testing.T) {
	sb, _, _ := newTestSandbox(t, 1, func(o *Options) { o.Niceness = 7; o.Timeout = 20 * time.Second })
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := sb.Query(ctx, Request{SQL: "SELECT count(*) FROM range(1000000000000)", User: "hog", Role: RoleAnalyst})
		done <- err
	}()
	niced := func() int {
		n := 0
		for _, v := range threadNiceness(t) {
			if v == 7 {
				n++
			}
		}
		return n
	}
	deadline := time.Now().Add(10 * time.Second)
	for niced() != 1 {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no thread at niceness 7 while the query runs: %v", threadNiceness(t))
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err == nil {
		t.Fatal("the cancelled query succeeded")
	}
	// Afterwards every thread is back at niceness 0: restored (root, or
	// CAP_SYS_NICE) or discarded. Go cannot discard the main thread and parks it
	// for good instead, so only that one may stay niced.
	main := filepath.Join("/proc/self/task", strconv.Itoa(os.Getpid()), "stat")
	deadline = time.Now().Add(5 * time.Second)
	for {
		var left []string
		for f, v := range threadNiceness(t) {
			if v != 0 && f != main {
				left = append(left, f+"="+strconv.Itoa(v))
			}
		}
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("niced threads outlived their query: %v", left)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
