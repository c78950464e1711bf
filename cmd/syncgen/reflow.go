package main

import (
	"go/doc/comment"
	"strings"
)

// width is the column that generated comments stay within, counting a tab
// as four columns, as a reader's editor shows them.
const width = 80

// reflow rewraps every comment block of src that stands on lines of its
// own — the templates' and the docs copied from the impl alike — through
// go/doc/comment, so that the output reads as gofmt'd, hand-written Go:
// paragraphs filled to the width, lists, code blocks and links kept.
// Directives and the generated-code header are left as they are.
func reflow(src []byte) []byte {
	lines := strings.Split(string(src), "\n")
	var out []string
	for i := 0; i < len(lines); {
		indent, ok := commentLine(lines[i])
		if !ok {
			out = append(out, lines[i])
			i++
			continue
		}
		j := i
		var text []string
		for ; j < len(lines); j++ {
			ind, ok := commentLine(lines[j])
			if !ok || ind != indent {
				break
			}
			t := strings.TrimPrefix(strings.TrimSpace(lines[j]), "//")
			text = append(text, strings.TrimPrefix(t, " "))
		}
		var p comment.Parser
		doc := p.Parse(strings.Join(text, "\n"))
		pr := comment.Printer{
			TextPrefix:     indent + "// ",
			TextCodePrefix: indent + "//\t",
			TextWidth:      width - 3 - 4*len(indent),
		}
		for _, l := range strings.Split(strings.TrimSuffix(string(pr.Text(doc)), "\n"), "\n") {
			out = append(out, strings.TrimRight(l, " "))
		}
		i = j
	}
	return []byte(strings.Join(out, "\n"))
}

// commentLine reports whether line is a comment on a line of its own that
// reflow may rewrap, and its indentation.
func commentLine(line string) (indent string, ok bool) {
	t := strings.TrimLeft(line, "\t")
	indent = line[:len(line)-len(t)]
	if !strings.HasPrefix(t, "//") || strings.HasPrefix(t, "//go:") || strings.HasPrefix(t, "//line ") ||
		strings.HasPrefix(t, "// Code generated") || strings.HasPrefix(t, "// To change it") {
		return "", false
	}
	return indent, true
}
