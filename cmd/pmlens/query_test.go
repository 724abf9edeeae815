package main

import (
	"testing"
	"time"

	"github.com/pmlens/pmlens/configs"
)

func TestSandboxOptionsFromWorkbenchSection(t *testing.T) {
	for _, tc := range []struct {
		in         configs.Workbench
		wantMemory string
	}{
		{configs.Workbench{}, ""}, // the sandbox's own default (512MB)
		{configs.Workbench{MemoryLimit: "1.5 GB"}, "1536MB"},
		{configs.Workbench{MemoryLimit: "256MB", MaxConcurrent: 2, Timeout: time.Minute, MaxRows: 50, Niceness: -1}, "256MB"},
	} {
		cfg := &configs.Config{Warehouse: configs.Warehouse{Path: "/w/pmlens.duckdb"}, Workbench: tc.in}
		o := sandboxOptions(cfg, nil)
		if o.MemoryLimit != tc.wantMemory || o.MaxConcurrent != tc.in.MaxConcurrent || o.Timeout != tc.in.Timeout ||
			o.MaxRows != tc.in.MaxRows || o.Niceness != tc.in.Niceness || o.WarehousePath != "/w/pmlens.duckdb" {
			t.Errorf("%+v → %+v (memory %q, want %q)", tc.in, o, o.MemoryLimit, tc.wantMemory)
		}
	}
}
