package configs

// MSProjectOptions are the keys specific to msproject sources.
type MSProjectOptions struct{}

func (o MSProjectOptions) validate(s *Source) error { return nil }
