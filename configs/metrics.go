package configs

// Metrics configures how earned value, RAG status and roll-ups are computed.
type Metrics struct {
	// Currency is the portfolio currency roll-ups are converted to.
	Currency string `yaml:"currency"`
	// Rates converts a project currency to the portfolio currency:
	// one unit of the key currency is worth Rates[key] portfolio units.
	Rates map[string]float64 `yaml:"rates"`
	// Risk configures risk scoring and exposure (configs/metrics_risk.go).
	Risk RiskMetrics `yaml:"risk"`
	// Flow configures delivery flow and Monte Carlo forecasts (configs/metrics_flow.go).
	Flow FlowMetrics `yaml:"flow"`
	// EACWeights weight eac_weighted's composite index (configs/metrics_evm.go).
	EACWeights EACWeights `yaml:"eac_weights"`
	// ReportedEAC picks the EAC behind ETC, VAC, TCPI(EAC) and the RAG EAC rule:
	// bottom_up_else_cpi (default), cpi, atypical, cpi_spi, weighted, bottom_up.
	ReportedEAC string `yaml:"reported_eac"`
	// ZeroConvention is what CPI and SPI are when AC or PV is 0: null (default,
	// NULL with a reason) or microfocus (Micro Focus PPM's 1 / 0 substitutes).
	ZeroConvention string `yaml:"zero_convention"`
	// RAG holds the RAG rules, with per-portfolio overrides (configs/metrics_evm.go).
	RAG RAGConfig `yaml:"rag"`
	// Agile holds AgileEVM release plans by project (configs/metrics_evm.go).
	Agile AgileMetrics `yaml:"agile"`
}

func (m *Metrics) applyDefaults() {
	if m.Currency == "" {
		m.Currency = "USD"
	}
	m.Risk.applyDefaults()
	m.Flow.applyDefaults()
	m.applyEVMDefaults()
}

func (m *Metrics) validate(v *validator) {
	if !currencyPattern.MatchString(m.Currency) {
		v.fail("metrics.currency", "%q is not a three-letter ISO 4217 code", m.Currency)
	}
	for k, r := range m.Rates {
		if !currencyPattern.MatchString(k) {
			v.fail("metrics.rates."+k, "%q is not a three-letter ISO 4217 code", k)
		}
		if r <= 0 {
			v.fail("metrics.rates."+k, "rate must be positive")
		}
	}
	m.Risk.validate(v)
	m.Flow.validate(v)
	m.validateEVM(v)
}
