package configs

// JiraOptions are the keys specific to jira sources.
type JiraOptions struct{}

func (o JiraOptions) validate(s *Source) error { return nil }
