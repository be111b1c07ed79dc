package ingest

// skipValue reads the JSON value at b[i], checking its syntax as
// encoding/json does, and leaves i after it. depth is how many arrays and
// objects enclose it. It reports false for a syntax error, or a value cut
// short.
func (p *parser) skipValue(depth int) bool {
	b := p.b
	if p.i >= len(b) {
		return false
	}
	switch c := b[p.i]; {
	case c == '"':
		_, ok := p.skipString()
		return ok
	case c == '{' || c == '[':
		if depth+1 > maxDepth {
			return false
		}
		return p.skipContainer(depth + 1)
	case c == '-' || (c >= '0' && c <= '9'):
		return p.skipNumber()
	case c == 't':
		return p.skipLiteral("true")
	case c == 'f':
		return p.skipLiteral("false")
	case c == 'n':
		return p.skipLiteral("null")
	}
	return false
}

// skipContainer reads the object or array at b[i], at depth.
func (p *parser) skipContainer(depth int) bool {
	b := p.b
	obj := b[p.i] == '{'
	closer := byte(']')
	if obj {
		closer = '}'
	}
	p.i = skipSpace(b, p.i+1)
	if p.i < len(b) && b[p.i] == closer {
		p.i++
		return true
	}
	for {
		if obj {
			if p.i >= len(b) || b[p.i] != '"' {
				return false
			}
			if _, ok := p.skipString(); !ok {
				return false
			}
			p.i = skipSpace(b, p.i)
			if p.i >= len(b) || b[p.i] != ':' {
				return false
			}
			p.i = skipSpace(b, p.i+1)
		}
		if !p.skipValue(depth) {
			return false
		}
		p.i = skipSpace(b, p.i)
		if p.i >= len(b) {
			return false
		}
		switch b[p.i] {
		case ',':
			p.i = skipSpace(b, p.i+1)
		case closer:
			p.i++
			return true
		default:
			return false
		}
	}
}

// skipString reads the string at b[i] (its opening quote) and leaves i
// after its closing quote. It reports whether the string holds an escape
// or a byte that is not ASCII, and false for a syntax error.
func (p *parser) skipString() (special, ok bool) {
	b := p.b
	for j := p.i + 1; j < len(b); j++ {
		c := b[j]
		switch {
		case c == '"':
			p.i = j + 1
			return special, true
		case c < 0x20:
			return false, false
		case c >= 0x80:
			special = true
		case c == '\\':
			special = true
			j++
			if j >= len(b) {
				return false, false
			}
			switch b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(b) {
					return false, false
				}
				for _, h := range b[j+1 : j+5] {
					if !isHex(h) {
						return false, false
					}
				}
				j += 4
			default:
				return false, false
			}
		}
	}
	return false, false
}

// isHex tells whether c is a hexadecimal digit.
func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// skipNumber reads the number at b[i]: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *parser) skipNumber() bool {
	b := p.b
	j := p.i
	if b[j] == '-' {
		j++
	}
	switch {
	case j < len(b) && b[j] == '0':
		j++
	case j < len(b) && b[j] >= '1' && b[j] <= '9':
		j = skipDigits(b, j)
	default:
		return false
	}
	if j < len(b) && b[j] == '.' {
		j++
		if j >= len(b) || !isDigit(b[j]) {
			return false
		}
		j = skipDigits(b, j)
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		if j >= len(b) || !isDigit(b[j]) {
			return false
		}
		j = skipDigits(b, j)
	}
	p.i = j
	return true
}

// isDigit tells whether c is a decimal digit.
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// skipDigits returns the index of the first byte from j that is not a
// digit.
func skipDigits(b []byte, j int) int {
	for j < len(b) && isDigit(b[j]) {
		j++
	}
	return j
}

// skipLiteral reads the literal lit (true, false, null) at b[i].
func (p *parser) skipLiteral(lit string) bool {
	if len(p.b)-p.i < len(lit) || string(p.b[p.i:p.i+len(lit)]) != lit {
		return false
	}
	p.i += len(lit)
	return true
}
