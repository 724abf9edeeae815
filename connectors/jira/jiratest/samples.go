package jiratest

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Samples are the real payloads of ../shared/jira-samples arranged as one site:
// the 18 issues of go-atlassian's search page plus go-jira's AR-86, the
// changelogs of KP-17/KP-18, KP-1's worklogs replaced by jira-ruby's Server page
// ("18w 2d" durations), the field list, boards, board 4's configuration and
// sprints.
type Samples struct {
	Issues   []*Issue
	Fields   []byte
	Statuses []Status
	Boards   []Board
	Sprints  []Sprint
	// People are the names, user names, account ids and e-mail addresses the
	// samples contain (see SamplePeople).
	People []string
	// Texts are the free texts of the sample issues (summaries, descriptions,
	// environments, comment and worklog bodies) long enough to search for.
	Texts []string
}

// LoadSamples reads the samples from dir (…/shared/jira-samples).
func LoadSamples(dir string) (*Samples, error) {
	read := func(rel string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, rel)) }
	s := &Samples{}
	var err error
	if s.Fields, err = read("go-atlassian/get-fields.json"); err != nil {
		return nil, err
	}
	type rawIssue struct {
		ID        string                     `json:"id"`
		Key       string                     `json:"key"`
		Fields    map[string]json.RawMessage `json:"fields"`
		Changelog *struct {
			Histories []json.RawMessage `json:"histories"`
		} `json:"changelog"`
	}
	var page struct {
		Issues []rawIssue `json:"issues"`
	}
	var issues []rawIssue
	for _, f := range []string{"go-atlassian/issue-search-v2.json", "go-jira/issues_in_sprint.json"} {
		b, err := read(f)
		if err != nil {
			return nil, err
		}
		page.Issues = nil
		if err := json.Unmarshal(b, &page); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		issues = append(issues, page.Issues...)
	}
	b, err := read("go-atlassian/get-issues-by-sprint.json")
	if err != nil {
		return nil, err
	}
	page.Issues = nil
	if err := json.Unmarshal(b, &page); err != nil {
		return nil, err
	}
	changelogs := map[string][]json.RawMessage{}
	for _, is := range page.Issues {
		if is.Changelog != nil {
			changelogs[is.ID] = is.Changelog.Histories
		}
	}
	worklogPage, err := read("jira-ruby/issue-10002-worklog.json")
	if err != nil {
		return nil, err
	}
	statuses := map[string]Status{}
	for _, ri := range issues {
		is := &Issue{Key: ri.Key, Raw: ri.Fields, RawHistories: changelogs[ri.ID]}
		fmt.Sscan(ri.ID, &is.ID)
		var proj struct {
			Key string `json:"key"`
		}
		var st struct {
			ID, Name       string
			StatusCategory struct{ Key string } `json:"statusCategory"`
		}
		for k, dst := range map[string]any{"project": &proj, "status": &st} {
			if err := json.Unmarshal(ri.Fields[k], dst); err != nil {
				return nil, fmt.Errorf("issue %s: %s: %w", ri.Key, k, err)
			}
		}
		is.Project = proj.Key
		statuses[st.ID] = Status{ID: st.ID, Name: st.Name, Category: st.StatusCategory.Key}
		if is.Created, err = time.Parse(JiraTime, unquote(ri.Fields["created"])); err != nil {
			return nil, fmt.Errorf("issue %s: created: %w", ri.Key, err)
		}
		if is.Updated, err = time.Parse(JiraTime, unquote(ri.Fields["updated"])); err != nil {
			return nil, fmt.Errorf("issue %s: updated: %w", ri.Key, err)
		}
		if ri.Key == "KP-1" {
			// Embed one worklog of three, so the rest comes from the worklog page.
			var wp struct {
				Worklogs []json.RawMessage `json:"worklogs"`
			}
			if err := json.Unmarshal(worklogPage, &wp); err != nil {
				return nil, err
			}
			is.Raw["worklog"] = json.RawMessage(fmt.Sprintf(`{"startAt":0,"maxResults":1,"total":%d,"worklogs":[%s]}`, len(wp.Worklogs), wp.Worklogs[0]))
			is.RawWorklogPage = worklogPage
		}
		s.Issues = append(s.Issues, is)
	}
	for _, st := range statuses {
		s.Statuses = append(s.Statuses, st)
	}
	sort.Slice(s.Statuses, func(i, j int) bool { return s.Statuses[i].ID < s.Statuses[j].ID })

	var boards struct {
		Values []struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
			Type string `json:"type"`
		} `json:"values"`
	}
	if b, err = read("go-jira/all_boards.json"); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &boards); err != nil {
		return nil, err
	}
	cfg, err := read("go-jira/board_configuration.json")
	if err != nil {
		return nil, err
	}
	var sprints struct {
		Values []struct {
			ID            int64  `json:"id"`
			Name          string `json:"name"`
			State         string `json:"state"`
			OriginBoardID int64  `json:"originBoardId"`
			StartDate     string `json:"startDate"`
			EndDate       string `json:"endDate"`
			CompleteDate  string `json:"completeDate"`
		} `json:"values"`
	}
	if b, err = read("go-jira/sprints.json"); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &sprints); err != nil {
		return nil, err
	}
	var sprintIDs []int64
	for _, v := range sprints.Values {
		sp := Sprint{ID: v.ID, BoardID: 4, Name: v.Name, State: v.State}
		sp.Start, _ = time.Parse(time.RFC3339, v.StartDate)
		sp.End, _ = time.Parse(time.RFC3339, v.EndDate)
		sp.Complete, _ = time.Parse(time.RFC3339, v.CompleteDate)
		s.Sprints = append(s.Sprints, sp)
		sprintIDs = append(sprintIDs, v.ID)
	}
	for _, v := range boards.Values {
		bd := Board{ID: v.ID, Name: v.Name, Type: v.Type, ProjectKey: "KP"}
		if v.ID == 4 {
			bd.Configuration = cfg
			bd.SprintIDs = sprintIDs
		}
		s.Boards = append(s.Boards, bd)
	}
	if s.People, s.Texts, err = SamplePeople(dir); err != nil {
		return nil, err
	}
	return s, nil
}

// SamplePeople walks every JSON file under dir and returns what identifies a
// person (from every user object: displayName, name, key, accountId,
// emailAddress; and any e-mail address anywhere in the files) and the free
// texts of issues (summary, description, environment), comments and worklogs of
// at least 8 characters, each list
// sorted and without duplicates. Privacy tests search the warehouse for them.
func SamplePeople(dir string) (people, texts []string, err error) {
	seenP, seenT := map[string]bool{}, map[string]bool{}
	addP := func(v any) {
		if s, ok := v.(string); ok && strings.TrimSpace(s) != "" && !seenP[s] {
			seenP[s] = true
			people = append(people, s)
		}
	}
	addT := func(v any) {
		s, ok := v.(string)
		s = strings.TrimSpace(s)
		if !ok || len(s) < 8 {
			return
		}
		// Search for the first line (at most 40 bytes): storage may re-escape
		// the rest, and a prefix is enough to find a leak.
		if i := strings.IndexAny(s, "\r\n"); i >= 8 {
			s = s[:i]
		}
		if len(s) > 40 {
			s = s[:40]
		}
		if !seenT[s] {
			seenT[s] = true
			texts = append(texts, s)
		}
	}
	var walk func(v any, key string)
	walk = func(v any, key string) {
		switch x := v.(type) {
		case map[string]any:
			_, dn := x["displayName"]
			_, em := x["emailAddress"]
			_, acc := x["accountId"]
			if dn || em || acc {
				for _, k := range []string{"displayName", "name", "key", "accountId", "emailAddress"} {
					addP(x[k])
				}
			}
			for k, e := range x {
				switch {
				case key == "fields" && (k == "summary" || k == "description" || k == "environment"),
					key == "comments" && k == "body", key == "worklogs" && k == "comment":
					addT(e)
				}
				walk(e, k)
			}
		case []any:
			for _, e := range x {
				walk(e, key)
			}
		}
	}
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range emailRE.FindAll(b, -1) {
			addP(string(m))
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		walk(v, "")
		return nil
	})
	sort.Strings(people)
	sort.Strings(texts)
	return people, texts, err
}

var emailRE = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)

func unquote(b json.RawMessage) string {
	var s string
	_ = json.Unmarshal(b, &s)
	return s
}

// Install puts the samples into a fake.
func (s *Samples) Install(srv *Server) {
	srv.SetFieldsJSON(s.Fields)
	srv.SetStatuses(s.Statuses)
	srv.SetSprints(s.Sprints)
	srv.SetBoards(s.Boards)
	srv.SetIssues(s.Issues)
	srv.SetVersions("KP", []Version{{ID: "10000", Name: "Version 00", ReleaseDate: "2021-02-23"}})
}
