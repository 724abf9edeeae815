package metrics

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/pmlens/pmlens/configs"
	"github.com/pmlens/pmlens/warehouse"
)

// refreshRisk writes the risk matrix and currency rates of the configuration into
// the small tables the risk views (migration 0450) read, so every published
// version's risk_exposure, risk_matrix and roll-ups follow the configuration it
// was built with. The views do the rest; there is nothing else to recompute.
func refreshRisk(ctx context.Context, run *warehouse.Run, opts RefreshOptions) error {
	rc, currency, rates := riskConfig(opts.Config)
	m := riskMatrixOf(rc)
	if err := m.Validate(); err != nil {
		// Load validates the configuration; reaching here means one built in code.
		return fmt.Errorf("metrics.risk: %w", err)
	}
	for _, t := range []string{"risk_matrix_levels", "risk_matrix_bands", "risk_settings", "risk_currency_rates"} {
		if _, err := run.Exec(ctx, `DELETE FROM `+t); err != nil {
			return fmt.Errorf("clearing %s: %w", t, err)
		}
	}
	_, err := run.Append(ctx, "risk_matrix_levels", []string{"axis", "level", "label", "lower_bound", "upper_bound", "probability"},
		func(add func(...any) error) error {
			for _, ax := range []struct {
				name   string
				levels []configs.RiskLevel
			}{{"probability", rc.ProbabilityLevels}, {"impact", rc.ImpactLevels}} {
				var lower any
				for i, l := range ax.levels {
					var upper, prob any
					if l.Max != nil {
						upper = *l.Max
					}
					if l.Probability != nil && ax.name == "probability" {
						prob = *l.Probability
					}
					if err := add(ax.name, int64(i+1), rfNullString(l.Label), lower, upper, prob); err != nil {
						return err
					}
					lower = upper
				}
			}
			return nil
		})
	if err != nil {
		return fmt.Errorf("writing risk_matrix_levels: %w", err)
	}
	_, err = run.Append(ctx, "risk_matrix_bands", []string{"probability_level", "impact_level", "band"},
		func(add func(...any) error) error {
			for p, row := range m.Bands {
				for i, b := range row {
					if err := add(int64(p+1), int64(i+1), string(b)); err != nil {
						return err
					}
				}
			}
			return nil
		})
	if err != nil {
		return fmt.Errorf("writing risk_matrix_bands: %w", err)
	}
	// The bounds are numbers from a validated configuration, so writing them as
	// list literals is safe; the appender has no DOUBLE[] type.
	if _, err := run.Exec(ctx, `INSERT INTO risk_settings VALUES (?, ?, `+rfFloatList(m.ProbabilityBounds)+`, `+rfFloatList(m.ImpactBounds)+`)`,
		currency, rc.ImpactBasis); err != nil {
		return fmt.Errorf("writing risk_settings: %w", err)
	}
	_, err = run.Append(ctx, "risk_currency_rates", []string{"currency", "rate"}, func(add func(...any) error) error {
		for _, c := range rfSortedKeys(rates) {
			if err := add(c, rates[c]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("writing risk_currency_rates: %w", err)
	}
	return nil
}

// riskConfig returns the risk settings with defaults, the portfolio currency and
// the conversion rates including the portfolio currency itself.
func riskConfig(cfg *configs.Config) (configs.RiskMetrics, string, map[string]float64) {
	var mc configs.Metrics
	if cfg != nil {
		mc = cfg.Metrics
	}
	currency := mc.Currency
	if currency == "" {
		currency = "USD"
	}
	rates := map[string]float64{}
	for k, v := range mc.Rates {
		rates[k] = v
	}
	rates[currency] = 1
	return mc.Risk.WithDefaults(), currency, rates
}

// riskMatrixOf turns the configured matrix into the metrics package's lookup, so
// the SQL levels (1 + bounds below the value) and RiskMatrix agree by construction.
func riskMatrixOf(rc configs.RiskMetrics) RiskMatrix {
	m := RiskMatrix{
		ProbabilityBounds: configs.RiskLevelBounds(rc.ProbabilityLevels),
		ImpactBounds:      configs.RiskLevelBounds(rc.ImpactLevels),
		Bands:             make([][]Band, len(rc.Bands)),
	}
	for p, row := range rc.Bands {
		m.Bands[p] = make([]Band, len(row))
		for i, b := range row {
			m.Bands[p][i] = Band(b)
		}
	}
	return m
}

func rfFloatList(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.FormatFloat(x, 'g', -1, 64)
	}
	return "CAST([" + strings.Join(parts, ", ") + "] AS DOUBLE[])"
}

func rfNullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func rfSortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
