package report

import "strings"

// iniValue is one value of a shared config or credentials file: its text,
// and whether it was written in double quotes.
type iniValue struct {
	text   string
	quoted bool
}

// iniSections are the sections of a shared config or credentials file: for
// each section's name, its keys' values.
type iniSections map[string]map[string]iniValue

// parseINI reads a shared config or credentials file the way aws-sdk-go v1
// (its internal/ini package) reads the keys this module uses:
//
//   - A key and its value are separated by '=' or ':'. Keys are case
//     sensitive: "CSM_ENABLED" is not "csm_enabled".
//   - A section's name is what its brackets hold, without the white space
//     around it; "[profile  aws_csm]" (two spaces) is not "[profile
//     aws_csm]". A section that appears twice is the later one: its keys
//     replace the earlier one's, which are forgotten.
//   - A value in double quotes is what the quotes hold, with \" \' \\ \n \t
//     unescaped; what follows the closing quote is ignored.
//   - Otherwise a value runs to the end of the line, or to a '#' or ';' that
//     follows a space ("true ; enabled" is "true", "a#b" is "a#b"), without
//     the white space before it and the spaces (not tabs) after it.
//   - A key with no value starts a block of nested settings ("s3 =" and the
//     indented lines under it), which is skipped; so are the indented lines
//     under a line that is neither a section, a key nor a comment.
//
// A file that starts with a UTF-8 byte order mark, as some Windows editors
// write it, is read without it. aws-sdk-go refuses such a file; read with
// the mark, its first section would be a line of nothing it knows, and a
// config file that enables CSM would silently leave it off.
//
// Lines aws-sdk-go refuses (and with them the whole file, so that its
// session cannot be created) are skipped here: a value opened by a quote
// that does not close, a section with no closing bracket and the keys under
// it, a key before the first section.
func parseINI(data []byte) iniSections {
	sections := iniSections{}
	var current map[string]iniValue
	nested := false

	text := strings.TrimPrefix(string(data), utf8BOM)
	for _, raw := range strings.Split(text, "\n") {
		raw = strings.TrimSuffix(raw, "\r")
		if nested && raw != "" && isINISpace(rune(raw[0])) {
			continue
		}
		nested = false
		// A value keeps the white space other than spaces at its end, as
		// in aws-sdk-go: only the start of the line is trimmed here.
		line := strings.TrimLeftFunc(raw, isINISpace)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}

		if line[0] == '[' {
			end := strings.IndexByte(line, ']')
			if end < 0 {
				current = nil
				continue
			}
			current = map[string]iniValue{}
			sections[strings.TrimFunc(line[1:end], isINISpace)] = current
			continue
		}

		sep := strings.IndexAny(line, "=:")
		if sep < 0 {
			nested = true
			continue
		}
		key := strings.TrimFunc(line[:sep], isINISpace)
		value, ok := iniLineValue(strings.TrimLeftFunc(line[sep+1:], isINISpace))
		if !ok {
			continue
		}
		if value.text == "" && !value.quoted {
			nested = true
			continue
		}
		if current != nil {
			current[key] = value
		}
	}
	return sections
}

// utf8BOM is the UTF-8 encoding of the byte order mark, U+FEFF.
const utf8BOM = "\xef\xbb\xbf"

// iniLineValue returns the value that starts at s, the rest of a line after
// its separator and the white space that follows it. It returns false for a
// quoted value whose quote does not close.
func iniLineValue(s string) (iniValue, bool) {
	if strings.HasPrefix(s, `"`) {
		var b strings.Builder
		for i := 1; i < len(s); i++ {
			c := s[i]
			switch {
			case c == '"':
				return iniValue{text: b.String(), quoted: true}, true
			case c == '\\' && i+1 < len(s) && strings.IndexByte(`"'\nt`, s[i+1]) >= 0:
				i++
				switch s[i] {
				case 'n':
					b.WriteByte('\n')
				case 't':
					b.WriteByte('\t')
				default:
					b.WriteByte(s[i])
				}
			default:
				b.WriteByte(c)
			}
		}
		return iniValue{}, false
	}
	if s != "" && (s[0] == '#' || s[0] == ';') {
		return iniValue{}, true
	}
	for i := 1; i < len(s); i++ {
		if (s[i] == '#' || s[i] == ';') && s[i-1] == ' ' {
			s = s[:i]
			break
		}
	}
	return iniValue{text: strings.Trim(s, " ")}, true
}

// isINISpace reports whether r is white space within a line.
func isINISpace(r rune) bool {
	switch r {
	case ' ', '\t', '\v', '\f', '\r', 0x85, 0xA0:
		return true
	}
	return false
}
