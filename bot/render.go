package bot

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/changzhi-amr/choucha/reply"
)

// ANSI escapes for a terminal that shows them.
const (
	ansiBold  = "\x1b[1m"
	ansiDim   = "\x1b[2m"
	ansiRed   = "\x1b[31m"
	ansiGreen = "\x1b[32m"
	ansiReset = "\x1b[0m"
)

var (
	reFont = regexp.MustCompile(`<font color="?([a-z]+)"?>(.*?)</font>`)
	reBold = regexp.MustCompile(`\*\*(.+?)\*\*`)
)

// PlainText renders a reply for a terminal: WeCom markdown without its
// markup (headings, **bold**, > quotes, <font> colours), with ANSI emphasis
// when ansi is set; a card as numbered choices; a file by its name. The
// replies in More follow, separated by a blank line.
func PlainText(r reply.Reply, ansi bool) string {
	var parts []string
	for _, x := range r.Flatten() {
		if s := plainOne(x, ansi); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "\n\n")
}

func plainOne(r reply.Reply, ansi bool) string {
	switch r.Kind {
	case reply.KindCard:
		return plainMarkdown(r.Card.Numbered(), ansi)
	case reply.KindCardUpdate:
		return "" // the terminal has no card to update
	case reply.KindFile:
		s := fmt.Sprintf("[文件] %s（%d 字节）", r.File.Name, len(r.File.Data))
		if r.Text != "" {
			s = r.Text + "\n" + s
		}
		return s
	case reply.KindMarkdown:
		return plainMarkdown(r.Text, ansi)
	}
	return strings.TrimRight(r.Text, "\n")
}

func plainMarkdown(md string, ansi bool) string {
	lines := strings.Split(strings.TrimRight(md, "\n"), "\n")
	for i, l := range lines {
		heading := false
		switch {
		case strings.HasPrefix(l, "## "), strings.HasPrefix(l, "# "), strings.HasPrefix(l, "### "):
			l = strings.TrimLeft(l, "#")
			l = strings.TrimPrefix(l, " ")
			heading = true
		case strings.HasPrefix(l, "> "):
			l = "  " + strings.TrimPrefix(l, "> ")
		}
		l = reFont.ReplaceAllStringFunc(l, func(m string) string {
			sub := reFont.FindStringSubmatch(m)
			if !ansi {
				return sub[2]
			}
			switch sub[1] {
			case "comment":
				return ansiDim + sub[2] + ansiReset
			case "warning":
				return ansiRed + sub[2] + ansiReset
			case "info":
				return ansiGreen + sub[2] + ansiReset
			}
			return sub[2]
		})
		if ansi {
			l = reBold.ReplaceAllString(l, ansiBold+"$1"+ansiReset)
			if heading {
				l = ansiBold + l + ansiReset
			}
		} else {
			l = reBold.ReplaceAllString(l, "$1")
		}
		lines[i] = l
	}
	return strings.Join(lines, "\n")
}
