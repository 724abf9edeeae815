package configs

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

var typeOfConfig = reflect.TypeOf(Config{})

// secretKeys are keys people write when they mean to inline a secret; they get a
// message pointing at the *_env / *_file form instead of "unknown key".
var secretKeys = map[string]bool{"token": true, "password": true, "secret": true, "api_token": true, "hash_key": true, "client_secret": true}

// checkKeys walks the YAML tree against the Go types, rejecting keys no struct field
// declares (yaml.v3's KnownFields does not reach nested Decode calls) and recording
// the line of every key path for later validation messages.
func checkKeys(file string, n *yaml.Node, t reflect.Type, path string, lines map[string]int) error {
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil
		}
		return checkKeys(file, n.Content[0], t, path, lines)
	}
	if n.Kind == yaml.AliasNode {
		return checkKeys(file, n.Alias, t, path, lines)
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if t.PkgPath() == "time" {
			return nil
		}
		if n.Kind != yaml.MappingNode {
			if n.Tag == "!!null" {
				return nil
			}
			return &Error{File: file, Line: n.Line, Key: displayPath(path), Msg: "expected a mapping of keys"}
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := joinPath(path, k.Value)
			ft, ok := fields[k.Value]
			if !ok {
				if secretKeys[k.Value] {
					return &Error{File: file, Line: k.Line, Key: displayPath(p), Msg: "secrets are never written inline: use " + k.Value + "_env (an environment variable) or " + k.Value + "_file (a file) instead"}
				}
				return &Error{File: file, Line: k.Line, Key: displayPath(p), Msg: "unknown key (known keys here: " + strings.Join(sortedKeys(fields), ", ") + ")"}
			}
			lines[p] = k.Line
			if err := checkKeys(file, v, ft, p, lines); err != nil {
				return err
			}
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			if n.Tag == "!!null" || t.Elem().Kind() == reflect.Uint8 {
				return nil
			}
			return &Error{File: file, Line: n.Line, Key: displayPath(path), Msg: "expected a list"}
		}
		for i, item := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			lines[p] = item.Line
			if err := checkKeys(file, item, t.Elem(), p, lines); err != nil {
				return err
			}
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			if n.Tag == "!!null" {
				return nil
			}
			return &Error{File: file, Line: n.Line, Key: displayPath(path), Msg: "expected a mapping"}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := joinPath(path, n.Content[i].Value)
			lines[p] = n.Content[i].Line
			if err := checkKeys(file, n.Content[i+1], t.Elem(), p, lines); err != nil {
				return err
			}
		}
	default:
		if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
			return &Error{File: file, Line: n.Line, Key: displayPath(path), Msg: "expected a single value"}
		}
	}
	return nil
}

// yamlFields maps the YAML keys of a struct, following ",inline" embeds.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		if tag == "-" || !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(opts, "inline") {
			for k, v := range yamlFields(f.Type) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

func sortedKeys(m map[string]reflect.Type) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func displayPath(p string) string { return p }
