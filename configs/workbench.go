package configs

import "time"

// Workbench configures the analysts' SQL sandbox (the web workbench, the query
// API and `pmlens query`). Zero values take the sandbox's defaults.
type Workbench struct {
	// MaxConcurrent is how many queries run at once; more wait up to QueueWait
	// and are then told "busy, retry" (default 4).
	MaxConcurrent int `yaml:"max_concurrent"`
	// QueueWait is how long a query waits for a free slot (default 2s).
	QueueWait time.Duration `yaml:"queue_wait"`
	// Timeout stops a query (default 30s).
	Timeout time.Duration `yaml:"timeout"`
	// MaxRows caps the rows a query returns (default 10000).
	MaxRows int `yaml:"max_rows"`
	// MemoryLimit is DuckDB's memory limit per query, e.g. "512MB" (default).
	MemoryLimit string `yaml:"memory_limit"`
	// Niceness (1–19) lowers the CPU priority of analysts' queries so the
	// dashboards stay fast while analysts saturate the machine (default 10;
	// -1 leaves queries at the server's priority).
	Niceness int `yaml:"niceness"`
}

func (w *Workbench) validate(v *validator) {
	if w.MaxConcurrent < 0 || w.MaxConcurrent > 64 {
		v.fail("workbench.max_concurrent", "must be between 1 and 64 (got %d)", w.MaxConcurrent)
	}
	if w.QueueWait < 0 {
		v.fail("workbench.queue_wait", "must not be negative")
	}
	if w.Timeout < 0 || (w.Timeout > 0 && w.Timeout < time.Second) {
		v.fail("workbench.timeout", "must be at least 1s (got %s)", w.Timeout)
	}
	if w.MaxRows < 0 {
		v.fail("workbench.max_rows", "must not be negative")
	}
	if w.MemoryLimit != "" {
		if n, err := ParseByteSize(w.MemoryLimit); err != nil || n < 16<<20 {
			v.fail("workbench.memory_limit", "%q is not a size of at least 16MB, such as 512MB", w.MemoryLimit)
		}
	}
	if w.Niceness < -1 || w.Niceness > 19 {
		v.fail("workbench.niceness", "must be between 1 and 19, or -1 to keep the server's priority (got %d)", w.Niceness)
	}
}
