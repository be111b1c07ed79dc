package report

import "strings"

// configSections reads a shared config or credentials file into its
// sections' keys. Section names are normalized to single spaces
// ("profile  x" is "profile x"); keys are lowercase; a comment that follows
// a value after white space ("true ; enabled") is not part of it. Later
// sections and keys of the same name override earlier ones. Indented lines
// under a key with no value (the nested settings of, say, "s3 =") are
// skipped, and so are lines that are neither a section, a key nor a comment:
// a file that is wrong somewhere the CSM keys are not does not stop CSM.
func configSections(data []byte) map[string]map[string]string {
	sections := map[string]map[string]string{}
	var current map[string]string
	nested := false

	for _, raw := range strings.Split(string(data), "\n") {
		line := strings.TrimSpace(raw)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		indented := raw[0] == ' ' || raw[0] == '\t'
		if nested && indented {
			continue
		}
		nested = false

		if line[0] == '[' {
			end := strings.IndexByte(line, ']')
			if end < 0 {
				current = nil
				continue
			}
			name := strings.Join(strings.Fields(line[1:end]), " ")
			if sections[name] == nil {
				sections[name] = map[string]string{}
			}
			current = sections[name]
			continue
		}

		eq := strings.IndexByte(line, '=')
		if eq < 0 || current == nil {
			continue
		}
		key := strings.ToLower(strings.TrimSpace(line[:eq]))
		value := stripComment(strings.TrimSpace(line[eq+1:]))
		if value == "" {
			nested = true
		}
		current[key] = value
	}
	return sections
}

// stripComment cuts value at the first '#' or ';' that follows white space.
func stripComment(value string) string {
	for i := 1; i < len(value); i++ {
		if (value[i] == '#' || value[i] == ';') && (value[i-1] == ' ' || value[i-1] == '\t') {
			return strings.TrimSpace(value[:i])
		}
	}
	return value
}
