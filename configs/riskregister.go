package configs

// RiskRegisterOptions are the keys specific to riskregister sources.
type RiskRegisterOptions struct{}

func (o RiskRegisterOptions) validate(s *Source) error { return nil }
